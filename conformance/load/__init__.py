"""`conformance load`: a till mix on Locust (imported only inside `engine.run`: it monkey-patches with gevent)."""
