"""A run's workers: --max-concurrency (else run.max_concurrency), capped at the cores (pipeline/run._workers,
specs/engine.md "Workers and threads")."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

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
