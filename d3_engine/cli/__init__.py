"""The `d3` command line: typer commands only; every command calls the pipeline's public API.

The first statement handles SIGINT and SIGTERM (DOMAIN V12-10) when this process is the `d3` command
(the console script, or `python -m d3_engine.cli` while runpy imports this package): a signal during
the imports that follow is remembered and reported by the command as INTERRUPTED, never a traceback.
An in-process caller (a test) gets the handler only while `main` runs.
"""

from d3_engine.core import interrupts as _interrupts  # first statement: see the docstring (V12-10)

if __import__("sys").argv[0].rsplit("/", 1)[-1] in ("d3", "-m"):
    _interrupts.install()

from d3_engine.cli.app import main

__all__ = ["main"]
