"""The `d3` command line: typer commands only; every command calls the pipeline's public API."""

from d3_engine.cli.app import main

__all__ = ["main"]
