"""Layer 1: money, ids, errors and the HTTP exchange types. Imports nothing from the package."""
