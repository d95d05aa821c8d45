"""What each CLI command does, behind the thin typer skin of `cli.py` (DOMAIN CLI-1, CLI-2, OUT-11).

Every command runs inside `guarded()`: expected failures become an `error` event, a human
message on stderr and their exit code; `run_done` is always the last stdout line.
"""

from __future__ import annotations

import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from d3_engine import ENGINE_VERSION
from d3_engine.core import interrupts
from d3_engine.core.errors import (
    EXIT_ACCEPTANCE,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_RUNTIME,
    D3Error,
    Interrupted,
    UsageError,
    ValidationFailed,
    one_line,
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


def _failure(exc: BaseException | None) -> BaseException | None:
    """What ends the command for the user: an interruption whenever a signal came (DuckDB reports one
    as `RuntimeError("Query interrupted")`), else the failure itself (None: it succeeded)."""
    if interrupts.received() or isinstance(exc, KeyboardInterrupt):
        return Interrupted(interrupts.message())
    return exc


def _emit_failure(command: str, log: EventLog, failure: BaseException, run_dir: Path | None, trace: str) -> int:
    """The `error` event and the stderr line of a failed command; returns its exit code."""
    if isinstance(failure, ValidationFailed):  # every finding is already on stdout and stderr
        log.emit("error", "ERROR", code=failure.exit_code, kind=failure.kind, message=str(failure))
        return failure.exit_code
    if isinstance(failure, D3Error):
        code, kind, message = failure.exit_code, failure.kind, str(failure)
        if isinstance(failure, Interrupted):
            message += f"; {run_dir} had been published and is complete" if run_dir else "; nothing was published"
        sys.stderr.write(f"d3 {command}: {one_line(message)}\n")
    else:  # an engine bug: say so plainly, traceback only with --debug
        code, kind, message = EXIT_RUNTIME, "RUNTIME_ERROR", f"{type(failure).__name__}: {failure}"
        sys.stderr.write(f"d3 {command}: unexpected error: {one_line(message)}\n")
        if not trace:
            sys.stderr.write("Run again with --debug for the traceback.\n")
    sys.stderr.write(trace)
    log.emit("error", "ERROR", code=code, kind=kind, message=message)
    return code


def guarded(
    command: str,
    log: EventLog,
    body: Callable[[], tuple[int, Path | None]],
    debug: bool,
    on_finish: Callable[[int], None] | None = None,
) -> int:
    """Run a command body with the CLI-2 exit-code and event discipline.

    A signal at any instant before `run_done` ends the command with exit 3 and an INTERRUPTED
    `error` event (V12-10): the outcome is decided, and `error` and `run_done` written, with the
    signals blocked, so one arriving then is handled after `run_done` (the command has ended).
    `on_finish(exit_code)` (the run ledger) runs after `run_done`.
    """
    run_dir: Path | None = None
    code, failure, trace = EXIT_RUNTIME, None, ""
    try:
        with interrupts.raising():
            code, run_dir = body()
            interrupts.checkpoint()
    except (Exception, KeyboardInterrupt) as exc:
        failure, run_dir = exc, None
        trace = traceback.format_exc() if debug else ""
    with interrupts.blocked():
        ending = _failure(failure)
        if ending is not None:
            code = _emit_failure(command, log, ending, run_dir, trace)
        elif code == EXIT_ACCEPTANCE:
            message = "an acceptance check of effective severity error failed; see acceptance.csv"
            sys.stderr.write(f"d3 {command}: {message}\n")
            log.emit("error", "ERROR", code=code, kind="ACCEPTANCE_FAILED", message=message)
        log.emit("run_done", "INFO", exit_code=code, run_dir=str(run_dir) if run_dir else None)
    if on_finish is not None:
        on_finish(code)
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
    force: bool = False,
    keep_path_tables: bool = False,
) -> int:
    """`d3 run`: compute and publish a run, or reuse the published one (OUT-15); one ledger line."""
    from d3_engine.export.ledger import LedgerEntry
    from d3_engine.pipeline.run import RunOptions, run

    log = EventLog("WARN" if quiet else "INFO")
    folder = resolve_inputs(inputs)
    chosen = parse_pipelines(pipelines)
    entry = LedgerEntry(engine_version=ENGINE_VERSION)
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
            folder,
            out,
            chosen,
            seed,
            fail_on_warning,
            max_concurrency,
            paths_per_batch,
            quiet,
            list(sets or []),
            force=force,
            keep_path_tables=keep_path_tables,
        )
        return run(options, log, entry)

    code = guarded("run", log, body, debug, on_finish=lambda code: _write_ledger(out, entry, code))
    if not quiet and sys.stderr.isatty():  # a person at a terminal reads stderr, not the JSON lines
        line = run_outcome_line(log.seen, code)
        if line:
            sys.stderr.write(line + "\n")
    return code


def run_outcome_line(seen: dict[str, dict[str, object]], code: int) -> str | None:
    """One human line on how `d3 run` ended: the answer (does the plan carry its loan, [OUT-5]), where the outputs
    are and which acceptance checks failed."""
    done = seen.get("run_done", {})
    if not done.get("run_dir"):
        return None  # an error was already written to stderr
    how = "reused the published run" if "run_reused" in seen else "published"
    line = f"d3 run: exit {code}, {how} {done['run_dir']} (report.md, acceptance.csv)"
    verdict = _verdict(Path(str(done["run_dir"])))
    if verdict:
        line += f"; the plan {verdict}"
    checks = seen.get("acceptance_checked")
    if checks is not None:
        failed = [str(c) for key in ("failed_error", "failed_warning") for c in _listed(checks.get(key))]
        line += f"; acceptance checks failed: {', '.join(failed)}" if failed else "; every acceptance check passed"
    return line


def _verdict(run_dir: Path) -> str | None:
    """consolidated_summary.json's `verdict` ("carries its loan", "does not carry its loan", "not tested"), or
    None when the run has none (no finance pipeline, or the file cannot be read)."""
    try:
        value = json.loads((run_dir / "consolidated_summary.json").read_text(encoding="utf-8")).get("verdict")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(value, str) or not value:
        return None
    return "was not tested against its loan" if value == "not tested" else value


def _listed(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _write_ledger(out: Path, entry: object, exit_code: int) -> None:
    """Append the run's ledger line when a run id was computed (OUT-15); a failure only warns."""
    from d3_engine.export.ledger import LedgerEntry, append

    if not isinstance(entry, LedgerEntry) or entry.run_id is None:
        return
    try:
        append(out, entry, exit_code)
    except OSError as exc:
        sys.stderr.write(
            f"d3 run: warning: cannot append to {out / 'ledger.jsonl'}: {exc.strerror or exc}. "
            "The run itself is unaffected\n"
        )


def cmd_validate(
    inputs: Path | None,
    pipelines: str | None,
    fail_on_warning: bool | None,
    quiet: bool,
    debug: bool,
    sets: list[str] | None = None,
    seed: int | None = None,
) -> int:
    """`d3 validate`: all of DOMAIN §1 on the default parameter set; writes nothing. `--seed` is resolved as
    `d3 run` resolves it [RNG-1], so validate_done names the seed the same run would use."""
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
        validated = validation_stage(log, folder, parse_pipelines(pipelines), fail_on_warning, seed, quiet, sets)
        if not quiet:
            sys.stderr.write(f"d3 validate: {folder} is valid (seed {validated.seed} from {validated.seed_source})\n")
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


def cmd_runs(out: Path, as_json: bool) -> int:
    """`d3 runs`: the run ledger of an output folder, oldest first (OUT-15)."""
    from d3_engine.export.ledger import ledger_table, read_lines

    if not out.is_dir():
        sys.stderr.write(f"d3 runs: {out} is not a folder. To fix this, pass --out with the folder given to d3 run\n")
        return EXIT_INVALID
    lines = read_lines(out)
    if as_json:
        sys.stdout.write("".join(f"{text}\n" for text, _ in lines))
    else:
        sys.stdout.write(ledger_table([value for _, value in lines]))
    return EXIT_OK
