"""Shared fixtures: copies of input bundles to mutate, the `d3` CLI in-process or as a subprocess.

Every test that feeds d3 bad input builds it by mutating a copy of `tests/fixtures/minimal_001`
(or the shipped `inputs/`) in `tmp_path`; nothing under the repository is ever changed.
The fixtures are used by tests/unit and tests/bdd alike [IN-18, CLI-2, OUT-11].
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BUNDLES = {"minimal_001": FIXTURES / "minimal_001", "inputs": ROOT / "inputs"}
D3 = Path(sys.executable).parent / "d3"


class InputsCopy:
    """A writable copy of an input bundle with small, precise mutation helpers."""

    def __init__(self, root: Path) -> None:
        self.root = root

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


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Callable[..., InputsCopy]:
    """`bundle_copy("minimal_001")` → an InputsCopy of that bundle under tmp_path."""
    counter = iter(range(1000))

    def make(name: str = "minimal_001") -> InputsCopy:
        target = tmp_path / f"{name}-{next(counter)}"
        shutil.copytree(BUNDLES[name], target, symlinks=True)
        return InputsCopy(target)

    return make


@pytest.fixture
def minimal(bundle_copy: Callable[..., InputsCopy]) -> InputsCopy:
    """A fresh copy of the golden fixture minimal_001 [EX-1]."""
    return bundle_copy("minimal_001")


@dataclass
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


def _in_process(args: list[str]) -> CliOutcome:
    """Run the real console entry point `d3_engine.cli.app.main` in this process, capturing both streams."""
    from d3_engine.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as done:
            code = done.code
    return CliOutcome(code if isinstance(code, int) else (0 if code is None else 1), out.getvalue(), err.getvalue())


def _subprocess(args: list[str], cwd: Path | None = None, timeout: float = 120) -> CliOutcome:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(
        [str(D3), *args], cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    return CliOutcome(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def d3() -> Callable[..., CliOutcome]:
    """`d3("validate", "--inputs", X)` runs the real CLI in-process; `spawn=True` runs the `d3` executable."""

    def invoke(*args: str | Path, spawn: bool = False, cwd: Path | None = None) -> CliOutcome:
        argv = [str(a) for a in args]
        return _subprocess(argv, cwd) if spawn else _in_process(argv)

    return invoke


def _tree_digest(folder: Path) -> dict[str, str]:
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


def _assert_finding(
    outcome: CliOutcome, code: str, file: str, names: tuple[str, ...] = (), original: str | None = None
) -> dict[str, Any]:
    """The run reported `code` for `file`, naming names[0] in its location or message (and the other
    names there or in the hint), as a `validate_error` event and as a stderr line of the form
    `file:location: message — To fix this, hint` [IN-18, ARCHITECTURE §6]. Returns the event."""
    errors = outcome.of("validate_error")
    matching = [e for e in errors if e["code"] == code and e["file"] == file]
    assert matching, f"no {code} for {file}; got {[(e['code'], e['file'], e['message']) for e in errors]}"

    def names_it(e: dict[str, Any]) -> bool:
        head, full = f"{e['location']} {e['message']}", f"{e['location']} {e['message']} {e['hint']}"
        return (not names or names[0] in head) and all(n in full for n in names)

    wanted = [e for e in matching if names_it(e)]
    assert wanted, f"{names} not named in {[(e['message'], e['hint']) for e in matching]}"
    event = wanted[0]
    assert event["hint"], event
    if original is not None:
        assert event.get("original_code") == original, event
    where = f"{event['file']}:{event['location']}" if event["location"] else event["file"]
    line = f"{where}: {event['message']} — To fix this, {event['hint']}"
    assert any(line in ln and f"[{code}]" in ln for ln in outcome.stderr.splitlines()), (
        f"stderr lacks {line!r}:\n{outcome.stderr}"
    )
    return event


@pytest.fixture
def assert_finding() -> Callable[..., dict[str, Any]]:
    """`assert_finding(outcome, code, file, names, original=None)` → the matching validate_error event."""
    return _assert_finding


@pytest.fixture
def tree_digest() -> Callable[[Path], dict[str, str]]:
    """`tree_digest(folder)` → {relative path: sha256 | '-> link target' | 'dir'} to prove a tree unchanged."""
    return _tree_digest


@pytest.fixture(scope="session")
def published_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder holding one good published run of minimal_001, made once per session by `d3 run`."""
    out = tmp_path_factory.mktemp("published") / "out"
    outcome = _in_process(["run", "--inputs", str(BUNDLES["minimal_001"]), "--out", str(out), "--quiet"])
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    assert (out / "latest").is_symlink()
    return out


@pytest.fixture
def previous_out(published_run: Path, tmp_path: Path) -> Path:
    """A private copy of the published output folder that a test may hand to `d3 run --out`."""
    target = tmp_path / "previous-out"
    shutil.copytree(published_run, target, symlinks=True)
    return target
