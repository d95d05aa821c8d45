"""A run's workers: --max-concurrency (else run.max_concurrency), capped at the cores (pipeline/run._workers,
specs/engine.md "Workers and threads")."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from harness import BUNDLES, run_d3, standard_run

import d3_engine.pipeline.run as run_module
from d3_engine.pipeline.run import RunOptions


@pytest.mark.parametrize(
    ("option", "setting", "cores", "expected"),
    [
        (None, 4, 2, 2),  # the shipped run.max_concurrency 4 on 2 cores
        (None, 4, 8, 4),
        (8, 4, 2, 2),  # --max-concurrency wins over the setting, and is capped too
        (1, 4, 8, 1),
        (None, 1, 1, 1),
        (3, 1, 1, 1),  # one core: one worker
    ],
)
def test_workers_are_the_maximum_capped_at_the_cores(
    monkeypatch: pytest.MonkeyPatch, option: int | None, setting: int, cores: int, expected: int
) -> None:
    monkeypatch.setattr(run_module, "_cores", lambda: cores)
    options = RunOptions(inputs=Path("inputs"), out=Path("outputs"), max_concurrency=option)
    validated = SimpleNamespace(simulation={"run": {"max_concurrency": setting}})
    assert run_module._workers(options, validated) == expected  # type: ignore[arg-type]


def test_the_cores_are_the_process_affinity() -> None:
    assert run_module._cores() == len(os.sched_getaffinity(0)) >= 1


@pytest.mark.e2e
def test_more_workers_than_cores_are_not_used_and_the_event_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_module, "_cores", lambda: 2)
    outcome = run_d3("run", "--inputs", BUNDLES["minimal_001"], "--out", tmp_path / "out", "--max-concurrency", "8")
    assert outcome.exit_code == 0, outcome.stdout + outcome.stderr
    (built,) = outcome.of("grid_built")
    assert built["workers"] == 2
    published = Path(outcome.events[-1]["run_dir"])
    reference = standard_run("minimal_001").run_dir  # one worker: the same bytes
    assert (published / "SHA256SUMS").read_bytes() == (reference / "SHA256SUMS").read_bytes()
