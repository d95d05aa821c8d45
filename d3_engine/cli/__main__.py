"""`python -m d3_engine.cli` runs the `d3` command."""

from d3_engine.cli.app import main

main()
