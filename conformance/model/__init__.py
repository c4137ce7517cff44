"""Layer 2: frozen dataclasses for specs, requirements, scenarios, programs and results."""
