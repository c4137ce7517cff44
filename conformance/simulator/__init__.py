"""Layer 5: the ASGI app that plays each provider over the engine, plus the test-control interface."""
