"""d3 stage: models (see README.md beside this file)."""
