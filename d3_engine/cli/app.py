"""The `d3` command line: a thin typer skin over `commands` (DOMAIN CLI-1).

No logic lives here; heavy modules (DuckDB, NumPy) are imported by the commands only, so that
`d3 --help` is instant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from typer._click.exceptions import ClickException  # typer 0.29 vendors click

from d3_engine import ENGINE_VERSION
from d3_engine.core import interrupts

app = typer.Typer(
    name="d3",
    help="d3: can this GPU-inference business plan carry itself and its loan?\n\n"
    "Example: d3 run --inputs inputs --out outputs",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help: it wraps long words instead of cutting them with "…" in an 80-column terminal.
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"d3 {ENGINE_VERSION}\n")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print `d3 <version>` and exit.")
    ] = False,
) -> None:
    """d3: a deterministic, offline financial-plan engine for a GPU-inference business."""


InputsOpt = Annotated[
    Path | None,
    typer.Option("--inputs", help="Inputs folder (default: ./inputs, else the shipped bundle).", show_default=False),
]
PipelinesOpt = Annotated[
    str | None,
    typer.Option("--pipelines", help="Comma list of public,private (default: run.pipelines).", show_default=False),
]
FailOpt = Annotated[
    bool | None,
    typer.Option(
        "--fail-on-warning/--no-fail-on-warning",
        help="Treat warnings as errors (default: run.fail_on_warning).",
        show_default=False,
    ),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="What-if value FILE.KEY=VALUE (FILE: simulation, general, public_tap, private_tap); repeatable. "
        "Example: --set general.loan.interest_rate_pct=6.5",
        show_default=False,
    ),
]
SEED_MAX = 2**63 - 1
"""The largest seed an input file can hold (`inputs.parse.MAX_INT`: integers are 64-bit), so `--seed` takes the
same range (written here, not imported: `d3 --help` does not load the input parser; test_cli holds them equal)."""
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", min=0, max=SEED_MAX, help="Master seed (overrides the inputs).", show_default=False),
]
QuietOpt = Annotated[
    bool,
    typer.Option(
        "--quiet", help="Only WARN and above on stdout (run_start, run_done and errors always); no progress bar."
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks on stderr.")]


@app.command("run", short_help="Validate, simulate, check and publish a run.")
def run_command(
    inputs: InputsOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Output folder.")] = Path("outputs"),
    pipelines: PipelinesOpt = None,
    seed: SeedOpt = None,
    fail_on_warning: FailOpt = None,
    max_concurrency: Annotated[
        int | None,
        typer.Option(
            "--max-concurrency",
            min=1,
            help="Maximum workers (default: run.max_concurrency, else 1), capped at the CPUs this process may use; "
            "never changes artefacts.",
            show_default=False,
        ),
    ] = None,
    paths_per_batch: Annotated[
        int,
        typer.Option(
            "--paths-per-batch", min=1, help="Paths computed together (memory per worker); never changes artefacts."
        ),
    ] = 5000,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
    force: Annotated[
        bool, typer.Option("--force", help="Compute the run again even when the same run is already published.")
    ] = False,
    keep_path_tables: Annotated[
        bool,
        typer.Option(
            "--keep-path-tables",
            help="Keep every path's rows of every per-path table in run.duckdb (noise, per-model rows; large). "
            "By default the monthly statements, customers and path KPIs keep every path, the rest the "
            "representative path.",
        ),
    ] = False,
) -> None:
    """Validate, simulate, check and publish a run (or reuse the same run already published).

    \b
    Example: d3 run --inputs inputs --out outputs --seed 424242
    """
    from d3_engine.cli.commands import cmd_run

    raise typer.Exit(
        cmd_run(
            inputs,
            out,
            pipelines,
            seed,
            fail_on_warning,
            max_concurrency,
            paths_per_batch,
            quiet,
            debug,
            set_,
            force,
            keep_path_tables,
        )
    )


@app.command("validate", short_help="Check every input file and rule; write nothing.")
def validate_command(
    inputs: InputsOpt = None,
    pipelines: PipelinesOpt = None,
    seed: SeedOpt = None,
    fail_on_warning: FailOpt = None,
    set_: SetOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Check every input file and rule; write nothing. Exit 0 valid, 2 invalid. The master seed a run with the
    same options would use, and where it comes from, is in `validate_done` and the closing stderr line.

    \b
    Example: d3 validate --inputs inputs --seed 424242
    """
    from d3_engine.cli.commands import cmd_validate

    raise typer.Exit(cmd_validate(inputs, pipelines, fail_on_warning, quiet, debug, set_, seed))


@app.command("schema", short_help="Print (or write) the JSON Schemas of the input files.")
def schema_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write one file per schema into this folder.", show_default=False)
    ] = None,
) -> None:
    """Print the JSON Schemas of all input files (or write them for your editor).

    \b
    Example: d3 schema --out .schemas
    """
    from d3_engine.cli.commands import cmd_schema

    raise typer.Exit(cmd_schema(out))


@app.command("report", short_help="Re-render the report and charts of a run.")
def report_command(
    run: Annotated[Path, typer.Option("--run", help="A published run folder.")] = Path("outputs/latest"),
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Re-render report.md, report.html and the charts of a run from its run.duckdb.

    \b
    Example: d3 report --run outputs/latest
    """
    from d3_engine.cli.commands import cmd_report

    raise typer.Exit(cmd_report(run, quiet, debug))


@app.command("compare", short_help="Compare two runs: inputs, overrides and key figures.")
def compare_command(
    run_a: Annotated[Path, typer.Argument(help="First run folder <out>/<run_id>.")],
    run_b: Annotated[Path, typer.Argument(help="Second run folder <out>/<run_id>.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document instead of Markdown.")] = False,
    grid_index: Annotated[int, typer.Option("--grid-index", min=0, help="Grid point of a sweep to compare.")] = 0,
    debug: DebugOpt = False,
) -> None:
    """Compare two runs: inputs that differ, --set lists, and the what-if metrics side by side.

    \b
    Example: d3 compare outputs/<run_a> outputs/<run_b>
    """
    from d3_engine.cli.commands import cmd_compare

    raise typer.Exit(cmd_compare(run_a, run_b, as_json, grid_index, debug))


@app.command("sql", short_help="Query a run's run.duckdb, read-only.")
def sql_command(
    run: Annotated[Path, typer.Option("--run", help="A run folder (or its run.duckdb file).")] = Path("outputs/latest"),
    command: Annotated[
        str | None,
        typer.Option(
            "-c",
            "--command",
            help="Run these statements and exit (else read statements from stdin).",
            show_default=False,
        ),
    ] = None,
    max_rows: Annotated[int, typer.Option("--max-rows", min=1, help="Rows printed per result.")] = 200,
) -> None:
    """Query a run's run.duckdb read-only: statements end with ';', results print as text tables.

    `.tables` lists the tables with their comments, `.schema TABLE` the columns with type, unit and meaning.

    \b
    Example: d3 sql --run outputs/latest -c "SELECT path_id, cash_min_eur FROM finance_path_kpis ORDER BY 1 LIMIT 3;"
    """
    from d3_engine.cli.commands import cmd_sql

    raise typer.Exit(cmd_sql(run, command, max_rows))


@app.command("init", short_help="Write a starter inputs folder to edit.")
def init_command(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder for your inputs.", show_default=False)],
) -> None:
    """Write a starter inputs folder to edit: a copy of the shipped inputs and START_HERE.md on what to edit
    first. Refuses a folder that is not empty (exit 2).

    \b
    Example: d3 init my-inputs && d3 validate --inputs my-inputs
    """
    from d3_engine.cli.commands import cmd_init

    raise typer.Exit(cmd_init(folder))


@app.command("backtest", short_help="Compare a plan with what happened (actuals).")
def backtest_command(
    run: Annotated[Path, typer.Option("--run", help="A published run folder, e.g. outputs/latest.")],
    actuals: Annotated[Path, typer.Option("--actuals", help="CSV period,metric,value of what happened.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Writes <out>/backtests/ (default: the run's parent folder).", show_default=False),
    ] = None,
    grid_index: Annotated[int, typer.Option("--grid-index", min=0, help="Grid point of a grid run.")] = 0,
    debug: DebugOpt = False,
) -> None:
    """Compare a plan with what happened: bands, PIT, MAE, RMSE, WAPE, sMAPE, bias, coverage.

    \b
    Example: d3 backtest --run outputs/latest --actuals examples/actuals_example.csv
    """
    from d3_engine.cli.backtest import cmd_backtest

    raise typer.Exit(cmd_backtest(run, actuals, out, grid_index, debug))


@app.command("runs", short_help="List the runs recorded in <out>/ledger.jsonl.")
def runs_command(
    out: Annotated[Path, typer.Option("--out", help="The output folder given to d3 run.")] = Path("outputs"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the ledger's JSON lines instead of a table.")] = False,
) -> None:
    """List every `d3 run` recorded in <out>/ledger.jsonl, oldest first.

    \b
    Example: d3 runs --out outputs
    """
    from d3_engine.cli.commands import cmd_runs

    raise typer.Exit(cmd_runs(out, as_json))


EVENT_COMMANDS = {"run", "validate", "report"}  # commands whose stdout is JSON lines (OUT-11)


def main(argv: list[str] | None = None) -> None:
    """Console entry point. A usage error exits 2 with the parser's message on stderr (CLI-2); for
    `run`, `validate` and `report` stdout still ends with the `error` and `run_done` events (OUT-11)."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = next((a for a in args if not a.startswith("-")), None)
    with interrupts.handled():
        code = _dispatch(args, name)
        if interrupts.received() and name not in EVENT_COMMANDS and code in (0, None):
            sys.stderr.write(f"d3: {interrupts.message()}\n")  # event commands report it themselves
            code = 3
    sys.exit(code if isinstance(code, int) else 0)


def _dispatch(args: list[str], name: str | None) -> int | None:
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="d3", standalone_mode=False)
    except ClickException as exc:
        exc.show()
        if name in EVENT_COMMANDS:
            from d3_engine.cli.commands import report_usage_error

            report_usage_error(exc.format_message())
        code = exc.exit_code
    except typer.Abort:  # end of input while the parser prompts
        sys.stderr.write("Aborted.\n")
        code = 3
    return code if isinstance(code, int) else None


if __name__ == "__main__":
    main()
