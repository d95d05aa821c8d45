"""The stress stage computes up to `--max-concurrency` stresses at once (pipeline/stresses.py) [IN-21] [V12-7]:
the artefacts and `stress_path_kpis` are those of one stress at a time [RNG-7], and a stress that fails stops
the others and leaves no stress database behind."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb
import pytest
from harness import SMALL_PLAN, run_d3, small_shipped_run

from d3_engine.core.errors import RuntimeFailure
from d3_engine.pipeline import run as run_module
from d3_engine.pipeline import stresses
from d3_engine.pipeline.databases import BatchStopped

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_STRESSES = 4  # inputs/simulation.yaml: stress_tests


def _small_run(out: Path, *extra: str) -> Any:
    return run_d3("run", "--inputs", ROOT / "inputs", "--out", out, *SMALL_PLAN, *extra)


def _stress_rows(run_dir: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)
    try:
        return con.execute("SELECT * FROM stress_path_kpis ORDER BY rowid").fetchall()
    finally:
        con.close()


class Staged:
    """Wraps the stress stage of pipeline/run.py: what its staging folder holds of the stresses when it ends."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.leftovers: list[str] | None = None
        real = run_module.run_stresses

        def run_stresses(con: Any, validated: Any, values: Any, staging: Path, *rest: Any) -> None:
            try:
                real(con, validated, values, staging, *rest)
            finally:  # before the run removes its staging folder
                self.leftovers = sorted(p.name for p in staging.iterdir() if p.name.startswith(".stress-"))

        monkeypatch.setattr(run_module, "run_stresses", run_stresses)


def _wrap_stresses(
    monkeypatch: pytest.MonkeyPatch, before: Any, outcomes: dict[int, str], finished: dict[int, threading.Event]
) -> None:
    """Replace run_stress: `before(scenario, stop)` first, then the real stress; record how each one ended."""
    real = stresses.run_stress

    def run_stress(validated: Any, stress: Any, values: Any, scratch: Path, setup: Any, stop: Any = None) -> None:
        before(stress.scenario, stop)
        try:
            real(validated, stress, values, scratch, setup, stop)
        except BatchStopped:
            outcomes[stress.scenario] = "stopped"
            raise
        outcomes[stress.scenario] = "finished"
        finished[stress.scenario].set()

    monkeypatch.setattr(run_module, "_cores", lambda: 2)  # two workers, so two stresses at once, whatever the machine
    monkeypatch.setattr(stresses, "run_stress", run_stress)


def _events() -> dict[int, threading.Event]:
    return {n: threading.Event() for n in range(1, SHIPPED_STRESSES + 1)}


@pytest.mark.e2e
def test_stresses_at_once_that_finish_out_of_order_give_the_bytes_of_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stresses at once (two workers), the first finishing only after the second: stress_done and
    stress_path_kpis in input order, and the artefacts and stress rows of the session's cached small run, whose
    stresses ran one at a time on one worker (harness.small_shipped_run) [RNG-7]."""
    reference = small_shipped_run().run_dir  # first: the cached run is never computed under this test's patches
    outcomes: dict[int, str] = {}
    finished = _events()

    def before(scenario: int, stop: Any) -> None:
        if scenario == 1:  # the first stress ends only after the second
            assert finished[2].wait(60)

    _wrap_stresses(monkeypatch, before, outcomes, finished)
    staged = Staged(monkeypatch)
    result = _small_run(tmp_path / "out", "--max-concurrency", "2")
    assert result.exit_code == 0, result.stdout + result.stderr
    done = [e["scenario"] for e in result.events if e["event"] == "stress_done"]
    assert done == list(range(1, SHIPPED_STRESSES + 1))
    assert outcomes == dict.fromkeys(range(1, SHIPPED_STRESSES + 1), "finished")
    other = Path(result.events[-1]["run_dir"])
    assert (other / "SHA256SUMS").read_bytes() == (reference / "SHA256SUMS").read_bytes()
    rows = _stress_rows(other)
    assert rows == _stress_rows(reference)
    assert sorted({r[0] for r in rows}) == list(range(1, SHIPPED_STRESSES + 1))
    assert staged.leftovers == []


@pytest.mark.parametrize("failing", [1, 2])
def test_a_failed_stress_stops_the_others_and_is_the_error_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    # stresses 1 and 2 run at once; `failing` breaks once the other is under way, which then stops at its next
    # model (a later stress failing while an earlier one runs must still be the error the user sees)
    outcomes: dict[int, str] = {}
    other = 3 - failing
    started = threading.Event()

    def before(scenario: int, stop: Any) -> None:
        if scenario == failing:
            assert started.wait(60)
            outcomes[scenario] = "failed"
            raise RuntimeFailure(f"stress {failing} broke")
        if scenario == other:  # starts its models only once the stage has asked the stresses to stop
            started.set()
            assert stop is not None and stop.wait(60)

    _wrap_stresses(monkeypatch, before, outcomes, _events())
    staged = Staged(monkeypatch)
    result = _small_run(tmp_path / "out", "--max-concurrency", "2")
    assert result.exit_code == 3, result.stdout + result.stderr
    errors = [e for e in result.events if e["event"] == "error"]
    assert len(errors) == 1 and f"stress {failing} broke" in errors[0]["message"], errors
    assert outcomes == {failing: "failed", other: "stopped"}  # 3 and 4 never started
    assert not [e for e in result.events if e["event"] == "stress_done"]
    assert staged.leftovers == []  # every stress database deleted by the stage itself
