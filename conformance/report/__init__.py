"""Layer 6: folds events into report.json, junit.xml and report.html."""
