"""d3 stage: checks (see README.md beside this file)."""
