"""What each CLI command does, behind the thin typer skin of `cli.py` (DOMAIN CLI-1, CLI-2, OUT-11).

Every command runs inside `guarded()`: expected failures become an `error` event, a human
message on stderr and their exit code; `run_done` is always the last stdout line.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from d3_engine import ENGINE_VERSION
from d3_engine.core.errors import (
    EXIT_ACCEPTANCE,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_RUNTIME,
    D3Error,
    Interrupted,
    UsageError,
    ValidationFailed,
)
from d3_engine.core.events import EventLog
from d3_engine.core.files import shipped_inputs_dir


def resolve_inputs(inputs: Path | None) -> Path:
    """`--inputs`, else ./inputs when present, else the shipped bundle (the embedded default)."""
    if inputs is not None:
        return inputs
    local = Path("inputs")
    return local if (local / "simulation.yaml").exists() else shipped_inputs_dir()


def parse_pipelines(text: str | None) -> list[str] | None:
    """`--pipelines public,private` → list; None when not given."""
    if text is None:
        return None
    return [p.strip() for p in text.split(",") if p.strip()]


_SIGNALLED: list[str] = []  # names of the signals received during the current command


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises `Interrupted` for the whole command, so it ends with exit 3 and `run_done`."""

    def handler(signum: int, frame: FrameType | None) -> None:
        _SIGNALLED.append("SIGTERM")
        raise Interrupted("the run was terminated (SIGTERM)")

    _SIGNALLED.clear()
    if threading.current_thread() is not threading.main_thread():
        yield  # signals can only be handled in the main thread
        return
    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def as_interruption(exc: BaseException) -> Interrupted | None:
    """The interruption behind a failure, if any.

    A signal that arrives while DuckDB runs a query surfaces as the query's error ("Query
    interrupted"), possibly wrapped by the model runner; it is still an interruption (INTERRUPTED).
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Interrupted):
            return seen
        if isinstance(seen, KeyboardInterrupt) or "Query interrupted" in str(seen):
            cause = " or ".join(_SIGNALLED) or "Ctrl-C or SIGTERM"
            return Interrupted(f"the run was interrupted ({cause})")
        seen = seen.__cause__ or seen.__context__
    return None


def guarded(command: str, log: EventLog, body: Callable[[], tuple[int, Path | None]], debug: bool) -> int:
    """Run a command body with the CLI-2 exit-code and event discipline."""
    run_dir: Path | None = None
    try:
        with sigterm_interrupts():
            code, run_dir = body()
        if code == EXIT_ACCEPTANCE:
            message = "an acceptance check of effective severity error failed; see acceptance.csv"
            sys.stderr.write(f"d3 {command}: {message}\n")
            log.emit("error", "ERROR", code=code, kind="ACCEPTANCE_FAILED", message=message)
    except ValidationFailed as failed:
        code = failed.exit_code
        log.emit("error", "ERROR", code=code, kind=failed.kind, message=str(failed))
    except (D3Error, KeyboardInterrupt) as exc:
        failure = as_interruption(exc) or (exc if isinstance(exc, D3Error) else Interrupted("interrupted"))
        code = failure.exit_code
        sys.stderr.write(f"d3 {command}: {failure}\n")
        if debug:
            traceback.print_exc(file=sys.stderr)
        log.emit("error", "ERROR", code=code, kind=failure.kind, message=str(failure))
    except Exception as exc:  # an engine bug: say so plainly, traceback only with --debug
        code = EXIT_RUNTIME
        sys.stderr.write(f"d3 {command}: unexpected error: {type(exc).__name__}: {exc}\n")
        if debug:
            traceback.print_exc(file=sys.stderr)
        else:
            sys.stderr.write("Run again with --debug for the traceback.\n")
        log.emit("error", "ERROR", code=code, kind="RUNTIME_ERROR", message=f"{type(exc).__name__}: {exc}")
    log.emit("run_done", "INFO", exit_code=code, run_dir=str(run_dir) if run_dir else None)
    return code


def cmd_run(
    inputs: Path | None,
    out: Path,
    pipelines: str | None,
    seed: int | None,
    fail_on_warning: bool | None,
    max_concurrency: int | None,
    paths_per_batch: int,
    quiet: bool,
    debug: bool,
    sets: list[str] | None = None,
) -> int:
    """`d3 run`."""
    from d3_engine.pipeline.run import RunOptions, run

    log = EventLog("WARN" if quiet else "INFO")
    folder = resolve_inputs(inputs)
    chosen = parse_pipelines(pipelines)
    log.emit(
        "run_start",
        "INFO",
        command="run",
        inputs=str(folder),
        out=str(out),
        pipelines=chosen,
        engine_version=ENGINE_VERSION,
    )

    def body() -> tuple[int, Path | None]:
        if max_concurrency is not None and max_concurrency < 1:
            raise UsageError("--max-concurrency must be at least 1")
        if paths_per_batch < 1:
            raise UsageError("--paths-per-batch must be at least 1")
        options = RunOptions(
            folder, out, chosen, seed, fail_on_warning, max_concurrency, paths_per_batch, quiet, list(sets or [])
        )
        return run(options, log)

    return guarded("run", log, body, debug)


def cmd_validate(
    inputs: Path | None,
    pipelines: str | None,
    fail_on_warning: bool | None,
    quiet: bool,
    debug: bool,
    sets: list[str] | None = None,
) -> int:
    """`d3 validate`: all of DOMAIN §1 on the default parameter set; writes nothing."""
    from d3_engine.pipeline.validation import validation_stage

    log = EventLog("WARN" if quiet else "INFO")
    folder = resolve_inputs(inputs)
    log.emit(
        "run_start",
        "INFO",
        command="validate",
        inputs=str(folder),
        out=None,
        pipelines=parse_pipelines(pipelines),
        engine_version=ENGINE_VERSION,
    )

    def body() -> tuple[int, Path | None]:
        validation_stage(log, folder, parse_pipelines(pipelines), fail_on_warning, None, quiet, sets)
        if not quiet:
            sys.stderr.write(f"d3 validate: {folder} is valid\n")
        return EXIT_OK, None

    return guarded("validate", log, body, debug)


def cmd_report(run_dir: Path, quiet: bool, debug: bool) -> int:
    """`d3 report`: re-render the report of a published run from its run.duckdb (CLI-1, OUT-10)."""
    log = EventLog("WARN" if quiet else "INFO")
    log.emit(
        "run_start",
        "INFO",
        command="report",
        inputs=None,
        out=str(run_dir),
        pipelines=None,
        engine_version=ENGINE_VERSION,
    )

    def body() -> tuple[int, Path | None]:
        if not (run_dir / "run.duckdb").is_file():
            raise UsageError(
                f"{run_dir} holds no run.duckdb. To fix this, pass --run with a run folder that d3 published"
            )
        from d3_engine.report.render import rerender

        files = rerender(run_dir)
        log.emit("export_done", "INFO", artefacts=len(files), run_dir=str(run_dir))
        return EXIT_OK, run_dir

    return guarded("report", log, body, debug)


def cmd_compare(run_a: Path, run_b: Path, as_json: bool, grid_index: int, debug: bool) -> int:
    """`d3 compare` ([OUT-16]): Markdown or one JSON document on stdout; exit 2 when a folder is not a run."""
    from d3_engine.core.formats import dumps_json
    from d3_engine.report.compare import compare_markdown, compare_runs

    try:
        result = compare_runs(run_a, run_b, grid_index)
    except UsageError as exc:
        sys.stderr.write(f"d3 compare: {exc}\n")
        return exc.exit_code
    except Exception as exc:  # a damaged run.duckdb: say so, no traceback unless asked
        sys.stderr.write(f"d3 compare: cannot read the runs: {type(exc).__name__}: {exc}\n")
        if debug:
            traceback.print_exc(file=sys.stderr)
        return EXIT_RUNTIME
    sys.stdout.write(dumps_json(result) if as_json else compare_markdown(result))
    return EXIT_OK


def report_usage_error(message: str) -> None:
    """A usage error of `d3 run`/`d3 validate` still ends stdout with `error` and `run_done` (OUT-11)."""
    log = EventLog("INFO")
    log.emit("error", "ERROR", code=EXIT_INVALID, kind="VALIDATION_ERROR", message=message)
    log.emit("run_done", "INFO", exit_code=EXIT_INVALID, run_dir=None)


def cmd_schema(out: Path | None) -> int:
    """`d3 schema`: print all schemas as one JSON object, or write one file each."""
    from d3_engine.inputs.schemas import all_schemas

    schemas = all_schemas()
    if out is None:
        sys.stdout.write(json.dumps(schemas, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return EXIT_OK
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, schema in schemas.items():
            (out / name).write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(
            f"d3 schema: cannot write to {out}: {exc.strerror or exc}. To fix this, choose a folder you can write to\n"
        )
        return EXIT_RUNTIME
    sys.stderr.write(f"d3 schema: wrote {len(schemas)} schemas to {out}\n")
    return EXIT_OK


def cmd_sql(run: Path, command: str | None, max_rows: int) -> int:
    """`d3 sql`: the read-only query shell on a run's run.duckdb (exit 2 when a statement fails)."""
    from d3_engine.core.shell import main

    try:
        return main(run, command, max_rows)
    except UsageError as exc:
        sys.stderr.write(f"d3 sql: {exc}\n")
        return exc.exit_code


def cmd_init(target: Path) -> int:
    """`d3 init DIR`: a starter inputs folder (the shipped bundle and START_HERE.md); exit 2 on a non-empty DIR."""
    from d3_engine.pipeline.starter import START_HERE, init_inputs

    try:
        written = init_inputs(target)
    except D3Error as exc:
        sys.stderr.write(f"d3 init: {exc}\n")
        return exc.exit_code
    sys.stderr.write(
        f"d3 init: wrote {len(written)} files to {target}; read {target / START_HERE} first, "
        f"then run: d3 validate --inputs {target}\n"
    )
    return EXIT_OK
