"""d3 stage: inputs (see README.md beside this file)."""
