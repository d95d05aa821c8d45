"""How a plan is cut into batches (pipeline/databases.split_batch_size, specs/engine.md "Workers and threads").

`--paths-per-batch` bounds a batch; a plan of fewer batches than workers is split into equal shares so that every
worker gets one, while the shares average MIN_SPLIT_PATH_MONTHS path-months or more. Batching never changes a byte: the
determinism scenarios (rng_determinism.feature) compare batch sizes and concurrencies.
"""

from __future__ import annotations

import pytest

from d3_engine.pipeline.databases import (
    MIN_SPLIT_PATH_MONTHS,
    SMALL_BLOCK_SIZE,
    SMALL_FILE_PATH_MONTHS,
    database_block_size,
    split_batch_size,
)
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
        (6000, 12, 5000, 2, 3000),  # cut by --paths-per-batch: equal batches, 2 × 3 000 (not 5 000 + 1 000)
        (12_000, 12, 5000, 4, 4000),  # 144 000 path-months: 2 shares at most, 3 batches to respect 5 000
        (0, 6, 5000, 2, 1),  # no path: no batch (batches() yields none)
        (5, 0, 5000, 2, 5),
    ],
)
def test_split_batch_size(paths: int, horizon: int, batch_size: int, workers: int, expected: int) -> None:
    assert split_batch_size(plan(paths, horizon), batch_size, workers) == expected


def test_batches_are_equal_within_one_path_and_split_for_the_workers_only_above_the_floor() -> None:
    for paths in (1, 7, 833, 834, 1667, 5000, 6001, 9999):
        for horizon in (1, 6, 36, 60, 120):
            for workers in (1, 2, 3, 4):
                for batch_size in (1, 100, 5000):
                    size = split_batch_size(plan(paths, horizon), batch_size, workers)
                    parts = -(-paths // size)
                    needed = -(-paths // batch_size)  # the batches --paths-per-batch asks for
                    assert 1 <= size <= batch_size
                    assert parts <= max(workers, needed)
                    if parts <= workers:  # cut for the workers: equal batches, within one path
                        assert size * parts - paths < parts, (paths, size)
                    else:  # more batches than workers: --paths-per-batch decides
                        assert size == batch_size
                    if parts > needed:  # more batches than --paths-per-batch asks for: split for the workers
                        assert paths * horizon >= parts * MIN_SPLIT_PATH_MONTHS, (paths, horizon, workers)


@pytest.mark.parametrize(
    ("paths", "horizon", "expected"),
    [
        (1, 3, SMALL_BLOCK_SIZE),  # minimal_001
        (72, 6, SMALL_BLOCK_SIZE),  # grid_001
        (1000, 50, SMALL_BLOCK_SIZE),  # 50 000 path-months: the last small plan
        (1001, 50, None),
        (5000, 60, None),  # the shipped plan (make run)
        (100_000, 36, None),  # the benchmark plans keep DuckDB's 256 KiB
    ],
)
def test_a_small_plan_writes_small_blocks(paths: int, horizon: int, expected: int | None) -> None:
    """pipeline/databases.database_block_size: 16 KiB blocks up to SMALL_FILE_PATH_MONTHS, DuckDB's default above."""
    assert paths * horizon <= SMALL_FILE_PATH_MONTHS or expected is None
    assert database_block_size(plan(paths, horizon)) == expected
