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


@pytest.mark.e2e
@pytest.mark.parametrize("workers", ["1"])
def test_stresses_at_once_give_the_bytes_of_one_at_a_time(tmp_path: Path, workers: str) -> None:
    # the cached small run: the shipped max_concurrency 4, so its 4 stresses ran at once on one worker each;
    # with 1 they run one after the other, each waiting in the pool for the one before
    reference = small_shipped_run().run_dir
    result = _small_run(tmp_path / "out", "--max-concurrency", workers)
    assert result.exit_code == 0, result.stdout + result.stderr
    other = Path(result.events[-1]["run_dir"])
    assert (other / "SHA256SUMS").read_bytes() == (reference / "SHA256SUMS").read_bytes()
    rows = _stress_rows(other)
    assert rows == _stress_rows(reference)
    assert sorted({r[0] for r in rows}) == list(range(1, SHIPPED_STRESSES + 1))
    done = [e for e in result.events if e["event"] == "stress_done"]
    assert [e["scenario"] for e in done] == list(range(1, SHIPPED_STRESSES + 1))  # in input order


def test_a_failed_stress_stops_the_others_and_leaves_no_stress_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = stresses.run_stress
    outcomes: dict[int, str] = {}
    stopping = threading.Event()

    def run_stress(validated: Any, stress: Any, values: Any, scratch: Path, setup: Any, stop: Any = None) -> None:
        if stress.scenario == 1:  # fails once the second stress is under way
            assert stopping.wait(30)
            outcomes[1] = "failed"
            raise RuntimeFailure("stress 1 broke")
        if stress.scenario == 2:  # starts its models only once the stage has asked the stresses to stop
            stopping.set()
            assert stop is not None and stop.wait(30)
        try:
            real(validated, stress, values, scratch, setup, stop)
        except BatchStopped:
            outcomes[stress.scenario] = "stopped"
            raise
        outcomes[stress.scenario] = "finished"

    monkeypatch.setattr(stresses, "run_stress", run_stress)
    result = _small_run(tmp_path / "out", "--max-concurrency", "2")
    assert result.exit_code == 3, result.stdout + result.stderr
    errors = [e for e in result.events if e["event"] == "error"]
    assert len(errors) == 1 and "stress 1 broke" in errors[0]["message"]
    # stress 2 was running and ended at its first model; 3 and 4 never started
    assert outcomes == {1: "failed", 2: "stopped"}
    assert not [e for e in result.events if e["event"] == "stress_done"]
    leftovers = [p.name for p in (tmp_path / "out").rglob("*") if ".stress-" in p.name]
    assert leftovers == []
