"""The one way the tests run d3, and the session-wide cache of the standard runs (ARCHITECTURE §2, §3b).

- `run_d3(*args)` runs the real console entry point `d3_engine.cli.app.main` in this process (fast: no
  interpreter start, no re-import of DuckDB and NumPy); `run_d3(*args, spawn=True)` runs the installed `d3`
  executable for the tests that need a real process (signals, exit codes of the interpreter, cwd).
- `STANDARD_RUNS.get("minimal_001")` is `d3 run --quiet` of a standard bundle (minimal_001, the shipped
  `inputs/`, grid_001), computed once per test session, lazily, the first time a test asks for it. Under
  pytest-xdist the workers share one cache folder and a file lock, so each run is computed once in all.
  A test that writes into a run (or hands its folder to `d3 run --out`) copies it first with
  `.copy_to(tmp_path / ...)`; nobody recomputes it and nobody changes the cached folder.

The cache holds exactly what the CLI published and printed; a copy relocates the printed paths, nothing else.

- Inside `run_d3` (in-process), and in every test not marked `draws_charts` (conftest's `charts_once`), a chart
  whose drawing code and data equal those of a chart drawn before in this process is that chart's PNG bytes
  (`charts_drawn_once`): a chart is a pure function of its data, which tests/unit/test_report_charts.py
  (`draws_charts`) proves by drawing for real (savefig's pixels, two processes byte-identical, the user's
  rcParams ignored). The suite's runs and reports would otherwise draw ~450 charts, 290 of them again.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from d3_engine.report import charts as _charts

if __name__ != "harness":  # `tests.harness` would be a second module with a second, unshared cache of the runs
    raise ImportError("import the test harness as `harness` (conftest puts tests/ on sys.path), not as " + __name__)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BUNDLES = {
    "minimal_001": FIXTURES / "minimal_001",
    "grid_001": FIXTURES / "grid_001",
    "inputs": ROOT / "inputs",
}
D3 = Path(sys.executable).parent / "d3"


@dataclass(frozen=True)
class CliOutcome:
    """What one `d3` invocation produced."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def events(self) -> list[dict[str, Any]]:
        """stdout parsed as JSON lines (fails when a line is not a JSON object) [OUT-11]."""
        records = []
        for line in self.stdout.splitlines():
            record = json.loads(line)
            assert isinstance(record, dict), line
            records.append(record)
        return records

    def of(self, event: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == event]

    def assert_contract(self) -> list[dict[str, Any]]:
        """The CLI-2 / OUT-11 discipline every invocation keeps, whatever its outcome."""
        text = self.stdout + self.stderr
        assert "Traceback" not in text, text
        events = self.events
        assert events, "no JSONL event on stdout"
        assert events[-1]["event"] == "run_done", events[-1]
        assert events[-1]["exit_code"] == self.exit_code
        if self.exit_code != 0:
            errors = [e for e in events if e["event"] == "error"]
            assert len(errors) == 1 and errors[0]["code"] == self.exit_code, errors
        return events

    def relocated(self, moves: dict[Path, Path]) -> CliOutcome:
        """The same outcome with every printed path `old` (a key of moves) written as its new place."""
        stdout, stderr = self.stdout, self.stderr
        for old, new in moves.items():
            # in JSON, a path is a string: replace it whole or as the head of a longer path only
            pattern = re.compile(re.escape(str(old)) + r'(?=["/\s:]|$)')
            stdout, stderr = pattern.sub(str(new), stdout), pattern.sub(str(new), stderr)
        return replace(self, stdout=stdout, stderr=stderr)


_PLAIN = (str, int, float, bool, type(None))
_DRAWN: dict[tuple[object, ...], bytes] = {}
ENGINE_PNG_BYTES = _charts.png_bytes
"""The engine's own `charts.png_bytes`, taken when the harness is imported (before any test can patch it)."""


def chart_key(draw: Callable[..., Any]) -> tuple[object, ...] | None:
    """What a chart's PNG is a function of: its drawing function (module, name, code) and the values it closes
    over, by their `repr` (exact: a float's repr round-trips). None when a value is not plain data (lists,
    tuples, str, numbers, None) or the function has defaults: such a chart is always drawn. The key leaves out
    what every chart shares (charts.py's STYLE and helpers, matplotlib and Pillow): a test that patches those is
    marked `draws_charts`, as test_report_charts is, and must not expect its patch inside `run_d3`."""

    def plain(value: object) -> bool:
        if isinstance(value, list | tuple):
            return all(plain(item) for item in value)
        return isinstance(value, _PLAIN)

    if draw.__defaults__ or draw.__kwdefaults__:  # values the key would not see
        return None
    values = [cell.cell_contents for cell in draw.__closure__ or ()]
    if not all(plain(value) for value in values):
        return None
    return (draw.__module__, draw.__qualname__, draw.__code__, repr(values))


@contextlib.contextmanager
def charts_drawn_once() -> Iterator[None]:
    """Inside the block, `charts.png_bytes` draws each distinct chart (`chart_key`) once in this process. Only the
    engine's own `png_bytes` is remembered: a test that put another in its place gets that one, called every time."""
    draw_png = _charts.png_bytes
    if draw_png is not ENGINE_PNG_BYTES:
        yield
        return

    def remembered(draw: Callable[..., Any]) -> bytes:
        key = chart_key(draw)
        if key is None:
            return draw_png(draw)
        if key not in _DRAWN:
            _DRAWN[key] = draw_png(draw)
        return _DRAWN[key]

    _charts.png_bytes = remembered  # type: ignore[assignment]
    try:
        yield
    finally:
        _charts.png_bytes = draw_png  # type: ignore[assignment]


def _in_process(args: list[str], cwd: Path | None) -> CliOutcome:
    """Run the real console entry point `d3_engine.cli.app.main` in this process, capturing both streams."""
    from d3_engine.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with contextlib.ExitStack() as stack:
        stack.enter_context(charts_drawn_once())
        if cwd is not None:
            stack.enter_context(contextlib.chdir(cwd))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            main(args)
        except SystemExit as done:
            code = done.code
    return CliOutcome(code if isinstance(code, int) else (0 if code is None else 1), out.getvalue(), err.getvalue())


def _spawned(args: list[str], cwd: Path | None, timeout: float) -> CliOutcome:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [str(D3), *args], cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    return CliOutcome(proc.returncode, proc.stdout, proc.stderr)


def run_d3(*args: str | Path, spawn: bool = False, cwd: Path | None = None, timeout: float = 300) -> CliOutcome:
    """`run_d3("validate", "--inputs", X)` runs the real CLI in-process; `spawn=True` runs the `d3` executable
    as a child process (cwd defaults to the repository there, to the current folder in-process)."""
    argv = [str(a) for a in args]
    return _spawned(argv, cwd, timeout) if spawn else _in_process(argv, cwd)


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path → sha256 (or `-> target` for links) of everything under folder."""
    digest: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            digest[rel] = f"-> {os.readlink(path)}"
        elif path.is_file():
            digest[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digest[rel] = "dir"
    return digest


# ---------------------------------------------------------------------------------------------- standard runs


@dataclass(frozen=True)
class StandardRun:
    """One `d3 run` of a bundle: the `--out` folder, the published run folder in it, and what the CLI printed."""

    inputs: Path
    out: Path
    outcome: CliOutcome

    @property
    def run_dir(self) -> Path:
        """The published run folder (`<out>/latest` resolved)."""
        return (self.out / "latest").resolve()

    @property
    def exit_code(self) -> int:
        return self.outcome.exit_code

    def copy_to(self, out: Path, inputs: Path | None = None) -> StandardRun:
        """A private copy of the output folder at `out` (links kept), as if `d3 run --out out` had made it;
        printed paths name `out` (and `inputs`, when the caller ran on a copy of the bundle)."""
        shutil.copytree(self.out, out, symlinks=True)
        moves = {self.out: out} | ({self.inputs: inputs} if inputs is not None else {})
        return StandardRun(inputs or self.inputs, out, self.outcome.relocated(moves))


class RunCache:
    """`d3 run --quiet <extra>` of each standard bundle, computed at most once per session (and per xdist pool)."""

    def __init__(self) -> None:
        self._base: Path | None = None
        self._runs: dict[tuple[str, tuple[str, ...]], StandardRun] = {}

    def set_base(self, base: Path) -> None:
        """Where the runs are kept (the session's temporary folder, shared by the xdist workers)."""
        self._base = base

    def _folder(self) -> Path:
        if self._base is None:  # outside pytest (a script importing the harness): a private folder
            self._base = Path(tempfile.mkdtemp(prefix="d3-standard-runs-"))
        self._base.mkdir(parents=True, exist_ok=True)
        return self._base

    def get(self, bundle: str, *options: str) -> StandardRun:
        """The cached `d3 run --inputs <bundle> --out <cache> <options>`; never modify what it returns."""
        key = (bundle, tuple(options))
        if key not in self._runs:
            self._runs[key] = self._load_or_compute(bundle, tuple(options))
        return self._runs[key]

    def _load_or_compute(self, bundle: str, options: tuple[str, ...]) -> StandardRun:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join((bundle, *options)))
        folder = self._folder() / name
        with _locked(self._folder() / f"{name}.lock"):
            record = folder / "outcome.json"
            if record.is_file():
                saved = json.loads(record.read_text(encoding="utf-8"))
                return StandardRun(BUNDLES[bundle], folder / "out", CliOutcome(**saved))
            folder.mkdir(parents=True, exist_ok=True)
            outcome = run_d3("run", "--inputs", BUNDLES[bundle], "--out", folder / "out", *options)
            assert "Traceback" not in outcome.stderr, outcome.stderr
            assert (folder / "out" / "latest").is_symlink(), outcome.stdout + outcome.stderr
            record.write_text(json.dumps(outcome.__dict__), encoding="utf-8")  # written last: the run is complete
            return StandardRun(BUNDLES[bundle], folder / "out", outcome)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


STANDARD_RUNS = RunCache()


def standard_run(bundle: str = "minimal_001", *extra: str) -> StandardRun:
    """The session's cached `d3 run --quiet <extra>` of a standard bundle (see RunCache)."""
    return STANDARD_RUNS.get(bundle, "--quiet", *extra)


#: `--set` that switches the shipped stress tests off. The base artefacts are byte-identical with or without them
#: (test_whatif_runs proves it on the small plan), and the four stressed plans are most of a full-size run's time.
NO_STRESS = ("--set", "simulation.stress_tests=null")

#: The options of rng_determinism.feature's usual run of grid_001 ("run with concurrency 1 and 1000 paths per
#: batch"): the cached grid_001 run every test shares (conftest `grid_std`, test_representative_rows.py).
GRID_RUN = ("--max-concurrency", "1", "--paths-per-batch", "1000")

#: `--set` options that shrink the shipped plan to 3 replicates × 2 MC paths of 6 months (inputs and stress tests
#: as shipped): for tests of the shipped inputs whose point is not the full size of 5 000 paths × 60 months.
SMALL_PLAN = (
    "--set",
    "simulation.run.random_runs_per_simulation=3",
    "--set",
    "simulation.stochastic.simulations_per_run=2",
    "--set",
    "simulation.targets.horizon_months=6",
)


#: The cached small runs of the shipped inputs run on one worker, their stress tests one at a time: the reference
#: that test_stress_concurrency compares its two-worker run against (artefacts never depend on the workers [RNG-7]).
ONE_WORKER = ("--max-concurrency", "1")


def small_shipped_run(*extra: str) -> StandardRun:
    """The session's cached `d3 run --quiet <SMALL_PLAN> --max-concurrency 1 <extra>` of the shipped inputs (see
    RunCache)."""
    return STANDARD_RUNS.get("inputs", "--quiet", *SMALL_PLAN, *ONE_WORKER, *extra)


#: The workers asked of the second run of minimal_001: more than any test machine has, so the run gets every core
#: this process may use (pipeline/run._workers caps the ask): 2 on the 2-core machine, against the standard run's 1.
MANY_WORKERS = 64


def second_minimal_run() -> StandardRun:
    """A second, independent `d3 run --max-concurrency 64` of minimal_001, for the determinism tests [RNG-7]:
    its own cache entry, computed apart from `standard_run("minimal_001")` (one worker, minimal_001's
    run.max_concurrency), at every core this process may use, so comparing the two compares two computations at
    two concurrencies on any machine of two cores or more (once per session for every test that asks). Not
    `--quiet`: its `grid_built` event tells the workers it got (test_workers_cap)."""
    return STANDARD_RUNS.get("minimal_001", "--max-concurrency", str(MANY_WORKERS))


def copy_build(monkeypatch: Any, run: StandardRun) -> list[Path]:
    """Make every `d3 run` of this test build its run by copying `run`'s published files into the staging folder
    (what `pipeline.run._build` fills) instead of computing them, and return the staging folders it filled.

    For tests of what happens around a build (reuse or not, --force, publishing, the ledger): `run` must be a
    cached run of the same inputs and options, so the copy is what the build would write (same run id,
    byte-identical artefacts [RNG-7]). The build's own events (`model_done`, `acceptance_checked`, …) are not
    emitted. The chaos driver's `fast_build` does the same in its children. A test of the build itself never
    uses this."""
    import d3_engine.pipeline.run as run_module

    filled: list[Path] = []

    def build(validated: Any, models: Any, options: Any, log: Any, staging: Path) -> int:
        # publish.make_staging names the folder `.staging-<run id>-<pid>`: another run id is a wrong `run`
        assert staging.name.startswith(f".staging-{run.run_dir.name}-"), (staging.name, run.run_dir)
        for item in run.run_dir.iterdir():
            if item.name != ".d3-run":  # publish writes the marker
                (shutil.copytree if item.is_dir() else shutil.copy2)(item, staging / item.name)
        filled.append(staging)
        summary = json.loads((staging / "run_summary.json").read_text(encoding="utf-8"))
        return int(summary["exit_code"])

    monkeypatch.setattr(run_module, "_build", build)
    return filled


# ------------------------------------------------------------------------------------------- input bundles


class InputsCopy:
    """A writable copy of an input bundle with small, precise mutation helpers."""

    def __init__(self, root: Path, bundle: str | None = None) -> None:
        self.root = root
        self.bundle = bundle  # the standard bundle it was copied from, if any

    def __str__(self) -> str:
        return str(self.root)

    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str | bytes) -> None:
        """Create or overwrite a file (bytes are written as given)."""
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    def remove(self, rel: str) -> None:
        self.path(rel).unlink()

    def replace(self, rel: str, old: str, new: str, count: int = 1) -> None:
        """Replace text that must occur in the file (a typo in a test fails loudly)."""
        text = self.read(rel)
        assert old in text, f"{old!r} not in {rel}"
        self.write(rel, text.replace(old, new, count))

    def append(self, rel: str, line: str) -> None:
        text = self.read(rel)
        self.write(rel, text + ("" if text.endswith("\n") else "\n") + line + "\n")

    def set_key(self, rel: str, dotted: str, value: Any) -> None:
        """Set a dotted key of a YAML file (parents are created); comments are not kept."""
        self._edit_key(rel, dotted, lambda node, last: node.__setitem__(last, value))

    def del_key(self, rel: str, dotted: str) -> None:
        """Remove a dotted key of a YAML file."""
        self._edit_key(rel, dotted, lambda node, last: node.__delitem__(last))

    def _edit_key(self, rel: str, dotted: str, change: Callable[[dict[str, Any], str], None]) -> None:
        data = yaml.safe_load(self.read(rel)) or {}
        node = data
        *parents, last = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        change(node, last)
        self.write(rel, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))

    def get_key(self, rel: str, dotted: str) -> Any:
        node = yaml.safe_load(self.read(rel))
        for part in dotted.split("."):
            node = node[part]
        return node

    def set_cell(self, rel: str, row: int, column: str, value: str) -> None:
        """Set the cell of data row `row` (0-based) in `column` of a simple CSV (no quoted commas)."""
        lines = self.read(rel).splitlines()
        header = lines[0].split(",")
        cells = lines[1 + row].split(",")
        cells[header.index(column)] = value
        lines[1 + row] = ",".join(cells)
        self.write(rel, "\n".join(lines) + "\n")

    def is_pristine(self) -> bool:
        """True while the copy still holds exactly the files of the standard bundle it came from."""
        return self.bundle is not None and tree_digest(self.root) == tree_digest(BUNDLES[self.bundle])


def copy_bundle(name: str, target: Path) -> InputsCopy:
    """A writable copy of the standard bundle `name` at `target`."""
    shutil.copytree(BUNDLES[name], target, symlinks=True)
    return InputsCopy(target, name)


def plain_tables(con: Any) -> None:
    """In a writable copy of run.duckdb: each published view of identities (finance_month over
    finance_month_stored, models/identities.py) becomes a plain table with the same rows and columns, as a model
    builds it in a batch, so a test can rebuild, replace or update it."""
    views = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND database_name = current_database()"
    )
    for (view,) in views.fetchall():
        con.execute(f'CREATE TABLE "_plain_{view}" AS SELECT * FROM "{view}"')
        drop_published(con, view)
        con.execute(f'ALTER TABLE "_plain_{view}" RENAME TO "{view}"')


def drop_published(con: Any, table: str) -> None:
    """Drop `table` of a run.duckdb copy, whether a table or a published view of identities with its stored
    table (models/identities.py)."""
    from d3_engine.models.identities import stored_table

    found = "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND database_name = current_database()"
    if con.execute(found, [table]).fetchall()[0][0]:
        con.execute(f'DROP VIEW "{table}"')
        con.execute(f'DROP TABLE IF EXISTS "{stored_table(table)}"')
    else:
        con.execute(f'DROP TABLE IF EXISTS "{table}"')


def run_on_copy(args: list[str], inputs: InputsCopy | None, out: Path) -> CliOutcome:
    """`d3 <args>`; a `run --inputs <pristine copy> --out <new folder> <options>` is served from the cache (a
    copy of a bundle gives the same run as the bundle: the run id hashes file contents, not places)."""
    head = ["run", "--inputs", str(inputs), "--out", str(out)]
    if inputs is not None and inputs.bundle and args[:5] == head and not out.exists() and inputs.is_pristine():
        return STANDARD_RUNS.get(inputs.bundle, *args[5:]).copy_to(out, inputs.root).outcome
    return run_d3(*args)
