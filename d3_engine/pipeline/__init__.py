"""d3 stage: pipeline (see README.md beside this file)."""
