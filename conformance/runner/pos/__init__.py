"""Certification of a POS integration: the suite plays the provider."""
