"""d3 stage: report (see README.md beside this file)."""
