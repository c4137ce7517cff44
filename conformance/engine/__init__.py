"""Layer 5: the domain (reward rules and the SQLite ledger), with no HTTP, JSON wire format or files but the db."""
