"""The reference POS: every driver action for every api, as a client of the provider apis over a transport.

It is how the suite proves that its POS plans pass a correct POS, and the example vendors copy
(docs/pos-driver.md). It knows the providers only through their specs and the wire; it never imports the
simulator or the runner.
"""
