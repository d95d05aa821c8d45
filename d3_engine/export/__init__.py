"""d3 stage: export (see README.md beside this file)."""
