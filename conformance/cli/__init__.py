"""Layer 7: the command line. Wiring only: parse options, call the layers below, render, pick the exit code."""
