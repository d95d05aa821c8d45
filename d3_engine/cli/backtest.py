"""`d3 backtest` behind the typer skin ([OUT-17], [CLI-2]).

Unlike `run`, `validate` and `report`, this command prints no JSON lines: stdout is the summary
table (Markdown) that a person reads; problems go to stderr as findings in the [IN-18] form
(`file:line N: message — To fix this, …`) with exit 2, or as one message with exit 3.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from d3_engine.core import interrupts
from d3_engine.core.errors import ERROR, EXIT_OK, EXIT_RUNTIME, D3Error, Interrupted, ValidationFailed


def cmd_backtest(run_dir: Path, actuals: Path, out: Path | None, grid_index: int, debug: bool) -> int:
    """`d3 backtest`: publish the backtest folder and print the summary; returns the exit code."""
    from d3_engine.pipeline.backtest import backtest
    from d3_engine.report.backtest import summary_table

    try:
        with interrupts.handled(), interrupts.raising():
            result = backtest(run_dir, actuals, out, grid_index)
    except ValidationFailed as failed:
        errors = [f for f in failed.findings if f.severity == ERROR]
        sys.stderr.write(f"d3 backtest: the actuals have {len(errors)} error(s); nothing was written:\n")
        for finding in errors:
            sys.stderr.write(f"  {finding.render()}\n")
        return failed.exit_code
    except (D3Error, KeyboardInterrupt) as exc:
        # a signal wins over what it caused (DuckDB reports one as an error of its own)
        failure = exc if isinstance(exc, D3Error) and not interrupts.received() else Interrupted(interrupts.message())
        sys.stderr.write(f"d3 backtest: {failure}\n")
        if debug:
            traceback.print_exc(file=sys.stderr)
        return failure.exit_code
    except Exception as exc:  # an engine bug: say so plainly, traceback only with --debug
        if interrupts.received():
            sys.stderr.write(f"d3 backtest: {Interrupted(interrupts.message())}\n")
            return Interrupted("").exit_code
        sys.stderr.write(f"d3 backtest: unexpected error: {type(exc).__name__}: {exc}\n")
        if debug:
            traceback.print_exc(file=sys.stderr)
        else:
            sys.stderr.write("Run again with --debug for the traceback.\n")
        return EXIT_RUNTIME
    sys.stdout.write(f"Plan versus actual: run {result.run_id}\n\n{summary_table(result.summaries)}")
    sys.stderr.write(f"d3 backtest: wrote {result.folder}\n")
    return EXIT_OK
