"""d3 stage: models.python (see README.md beside this file)."""
