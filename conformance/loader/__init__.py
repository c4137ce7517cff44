"""Layer 3: the only code that reads specs/, scenarios/ and cassettes/. Every error names file and line."""
