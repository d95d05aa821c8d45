"""Signals during start-up and during a DuckDB query [V12-10], [CLI-2], [OUT-11], issue 14.

Start-up: a fresh `d3` process (started as the console script starts it) sends itself the signal when
a given module is first imported, from `typer` to DuckDB: the command still ends with exit 3, the
INTERRUPTED `error` event and `run_done`, never a traceback, and publishes nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal_001"
DRIVER = Path(__file__).with_name("driver.py")

EARLY = [
    ("SIGINT", "d3_engine.cli.app"),
    ("SIGTERM", "typer"),
    ("SIGINT", "d3_engine.cli.commands"),
    ("SIGTERM", "d3_engine.pipeline.run"),
    ("SIGINT", "duckdb"),
    ("SIGTERM", "numpy"),
]


@pytest.mark.parametrize(("sig", "module"), EARLY, ids=[f"{s}-{m}" for s, m in EARLY])
def test_a_signal_during_start_up_is_a_clean_interruption(sig: str, module: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["run", "--inputs", str(MINIMAL), "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, str(DRIVER), "early", sig, module, *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr, proc.stderr
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[-1]["event"] == "run_done" and events[-1]["exit_code"] == 3
    errors = [e for e in events if e["event"] == "error"]
    assert len(errors) == 1 and errors[0]["kind"] == "INTERRUPTED" and sig in errors[0]["message"], errors
    assert not out.exists() or not [p for p in out.iterdir() if p.name != "ledger.jsonl"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_inside_a_duckdb_query_reports_the_interruption(sig: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB turns the handler's exception into RuntimeError('Query interrupted'); the user still reads
    INTERRUPTED (exit 3), never 'unexpected error: RuntimeError: Query interrupted'."""
    import io

    import duckdb

    from d3_engine.cli.commands import guarded
    from d3_engine.core import interrupts
    from d3_engine.core.events import EventLog

    stdout, stderr = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)

    raised: list[BaseException] = []

    def body() -> tuple[int, Path | None]:
        con = duckdb.connect()
        threading.Timer(0.2, lambda: os.kill(os.getpid(), sig)).start()
        try:  # about a second of work: the signal lands inside the query
            con.execute("SELECT count(*) FROM range(100000000) a WHERE hash(a.range) % 7 = 3").fetchall()
        except BaseException as exc:
            raised.append(exc)
            raise
        return 0, None

    with interrupts.handled():
        code = guarded("run", EventLog("INFO", stdout), body, debug=False)
    events = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert code == 3 and events[-1] == {**events[-1], "event": "run_done", "exit_code": 3}
    (error,) = [e for e in events if e["event"] == "error"]
    assert error["kind"] == "INTERRUPTED" and signal.Signals(sig).name in error["message"], error
    assert "unexpected error" not in stderr.getvalue() and "Query interrupted" not in stderr.getvalue()
    assert [str(e) for e in raised] == ["Query interrupted"]  # the path under test was taken


def test_signals_are_handled_only_while_a_command_runs_in_process(d3: Callable[..., Any]) -> None:
    """An in-process caller (a test, a notebook) gets its own handlers back after `main`."""
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert d3("--version").exit_code == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
