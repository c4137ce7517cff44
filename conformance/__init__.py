"""POS <-> loyalty provider conformance suite: specs, simulator, scenarios and certification."""

__version__ = "0.1.0"
