"""The QA console: web pages over the simulator for QA, support and guided POS certification (`simulate --ui`)."""
