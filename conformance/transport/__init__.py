"""Layer 4: the one `send(request) -> response` seam: live httpx, in-process ASGI, cassette replay."""
