"""How a plan is cut into batches (pipeline/databases.batch_paths, specs/engine.md "Workers and threads").

`--paths-per-batch` bounds a batch; a plan of fewer batches than workers is split into equal shares so that every
worker gets one, never into shares under MIN_SPLIT_PATH_MONTHS path-months. Batching never changes a byte: the
determinism scenarios (rng_determinism.feature) compare batch sizes and concurrencies.
"""

from __future__ import annotations

import pytest

from d3_engine.pipeline.databases import MIN_SPLIT_PATH_MONTHS, batch_paths
from d3_engine.plan.scenarios import GridPoints, Plan


def plan(paths: int, horizon: int) -> Plan:
    """A plan of one grid point, `paths` replicates of one MC path each."""
    return Plan([], [], [], GridPoints([]), paths, 1, horizon)


@pytest.mark.parametrize(
    ("paths", "horizon", "batch_size", "workers", "expected"),
    [
        (6, 6, 5000, 2, 6),  # the tests' small shipped plan: one batch, not two of 3 paths
        (1, 3, 5000, 4, 1),  # minimal_001
        (5000, 60, 5000, 2, 2500),  # the shipped plan on 2 workers: 2 × 2 500
        (5000, 60, 5000, 4, 1250),  # … on 4 workers: 4 × 1 250 (each 75 000 path-months)
        (1000, 60, 5000, 2, 1000),  # 60 000 path-months: one share of 50 000 at most, so one batch
        (2000, 60, 5000, 2, 1000),  # 120 000 path-months: two shares
        (2000, 60, 5000, 8, 1000),  # … and no more than two, whatever the workers
        (100_000, 36, 5000, 2, 5000),  # enough batches already: --paths-per-batch decides
        (72, 6, 20, 2, 20),  # an explicit --paths-per-batch below the share still bounds the batch
        (12, 6, 1, 1, 1),  # one-path batches
        (6, 6, 5000, 1, 6),
    ],
)
def test_batch_paths(paths: int, horizon: int, batch_size: int, workers: int, expected: int) -> None:
    assert batch_paths(plan(paths, horizon), batch_size, workers) == expected


def test_a_split_share_is_never_under_the_floor_and_never_above_the_batch_size() -> None:
    for paths in (1, 7, 833, 834, 1667, 5000, 9999):
        for horizon in (1, 6, 36, 60, 120):
            for workers in (1, 2, 3, 4):
                size = batch_paths(plan(paths, horizon), 5000, workers)
                parts = -(-paths // size)
                assert 1 <= size <= 5000
                assert parts <= max(workers, -(-paths // 5000))
                if parts > 1 and size < 5000:  # split to feed the workers: the shares average the floor or more
                    assert paths * horizon >= parts * MIN_SPLIT_PATH_MONTHS, (paths, horizon, workers)
