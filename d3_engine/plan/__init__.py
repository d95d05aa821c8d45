"""d3 stage: plan (see README.md beside this file)."""
