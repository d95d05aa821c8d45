"""d3 stage: core (see README.md beside this file)."""
