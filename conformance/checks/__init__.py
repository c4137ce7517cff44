"""Layer 4: pure functions from an exchange to findings."""
