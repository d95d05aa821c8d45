"""A run's workers: --max-concurrency (else run.max_concurrency), capped at the cores (pipeline/run._workers,
specs/engine.md "Workers and threads")."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from harness import MANY_WORKERS, second_minimal_run, standard_run

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


def test_more_workers_than_cores_are_not_used_and_the_event_says_so() -> None:
    """The session's second run of minimal_001 asked for MANY_WORKERS: its grid_built event says it got the cores
    (2 on the 2-core machine), and its bytes are those of the standard run's one worker [RNG-7]."""
    many = second_minimal_run()
    assert many.exit_code == 0, many.outcome.stdout + many.outcome.stderr
    (built,) = many.outcome.of("grid_built")
    assert built["workers"] == min(MANY_WORKERS, run_module._cores())
    reference = standard_run("minimal_001").run_dir
    assert (many.run_dir / "SHA256SUMS").read_bytes() == (reference / "SHA256SUMS").read_bytes()
