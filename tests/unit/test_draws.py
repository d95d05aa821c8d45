"""Unit tests for d3_engine.plan.draws: outcome-noise tables keyed by coordinates (RNG-2, RNG-5, RNG-7, RNG-8).

The tables must not depend on the batch size or the number of workers: a batch that cuts through a
block regenerates the whole block and keeps its slice, and batches are appended in path_id order.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pytest

from d3_engine.core.db import connect
from d3_engine.core.rng import Lattice, noise_block
from d3_engine.plan.draws import Batch, batches, set_noise, write_noise
from d3_engine.plan.scenarios import GridPoints, Plan

SEED = 424242


def plan(grid: int, replicates: int, mc: int, horizon: int) -> Plan:
    """A plan with `grid` grid points (one synthetic axis) and no variables."""
    axes = [Lattice(Decimal(1), Decimal(grid), Decimal(1))] if grid > 1 else []
    return Plan([], [], [], GridPoints(axes), replicates, mc, horizon)


def tables(p: Plan, batch: int, workers: int, pipelines: tuple[str, ...] = ("public", "private")) -> dict[str, Any]:
    con = connect(None, threads=workers)
    counts = write_noise(con, SEED, p, list(pipelines), batch, workers)
    out: dict[str, Any] = {"counts": counts}
    for table in counts:
        # No ORDER BY: the insertion order itself must not depend on batching.
        out[table] = con.execute(f"SELECT * FROM {table}").fetchall()
    con.close()
    return out


def digest(rows: list[tuple[Any, ...]]) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_batches_partition_the_paths() -> None:
    assert list(batches(7, 3)) == [Batch(0, 3), Batch(3, 6), Batch(6, 7)]
    assert list(batches(2, 1000)) == [Batch(0, 2)]
    assert list(batches(3, 0)) == [Batch(0, 1), Batch(1, 2), Batch(2, 3)]  # size < 1 → 1


def test_rng8_vectors_through_the_tables() -> None:
    """[RNG-8]: H = 3, M = 2: path 0 is mc 0 and path 1 is mc 1 of keys (2, 1, 1|2, 0, 0, 0)."""
    got = tables(plan(1, 1, 2, 3), batch=1, workers=1, pipelines=("public",))
    rows = got["draw_public_noise"]
    assert [r[:5] for r in rows] == [(p, 0, 0, p, t) for p in (0, 1) for t in (1, 2, 3)]
    assert [r[5] for r in rows[:3]] == [0.172182039613044, -0.5130306281622289, -0.36584366581035305]
    assert [r[5] for r in rows[3:]] == [0.7673050888551358, 0.6508400701792426, -1.2936517427868652]
    assert [r[6] for r in rows[:3]] == [-0.2901751396149066, -0.5745912903424503, 0.30189428738909474]
    assert got["counts"] == {"draw_public_noise": 6}


def test_values_are_keyed_by_coordinates() -> None:
    """Path (g=1, r=2, mc=1) month 2 reads element [1, 1] of the block of grid position 0 [RNG-2] [RNG-9]."""
    p = plan(2, 3, 2, 4)
    got = tables(p, batch=5, workers=2)
    path_id = (1 * 3 + 2) * 2 + 1
    for table, tap in (("draw_public_noise", 1), ("draw_private_noise", 2)):
        (row,) = [r for r in got[table] if r[0] == path_id and r[4] == 2]
        assert row[1:4] == (1, 2, 1)
        assert row[5] == noise_block(SEED, tap, 1, 0, 2, 0, 4, 2)[1, 1]
        assert row[6] == noise_block(SEED, tap, 2, 0, 2, 0, 4, 2)[1, 1]
        (same,) = [r for r in got[table] if r[0] == 2 * 2 + 1 and r[4] == 2]  # (g=0, r=2, mc=1)
        assert same[5:7] == row[5:7]


@pytest.mark.parametrize(("batch", "workers"), [(1, 1), (2, 3), (5, 2), (7, 1), (24, 4), (5000, 2)])
def test_batch_size_and_workers_never_change_the_tables(batch: int, workers: int) -> None:
    p = plan(2, 4, 3, 5)
    reference = tables(p, batch=1000, workers=1)
    got = tables(p, batch=batch, workers=workers)
    for table in ("draw_public_noise", "draw_private_noise"):
        assert len(got[table]) == 24 * 5
        assert digest(got[table]) == digest(reference[table])


def test_path_ids_follow_the_coordinates() -> None:
    rows = tables(plan(3, 2, 2, 1), batch=3, workers=2)["draw_private_noise"]
    assert [r[0] for r in rows] == list(range(12))
    assert all(path == (g * 2 + r) * 2 + mc for path, g, r, mc, *_ in rows)


def test_a_batch_that_cuts_a_block_regenerates_it_whole() -> None:
    """M = 1030 > 1024: block 0 holds mc 0..1023 and block 1 mc 1024..2047 (1030..2047 discarded)."""
    p = plan(1, 1, 1030, 2)
    whole0 = noise_block(SEED, 1, 1, 0, 0, 0, 2, 1024)
    whole1 = noise_block(SEED, 1, 1, 0, 0, 1, 2, 1024)
    got = set_noise(SEED, 1, 1, p, 0, 1020, 1028)
    assert got.shape == (2, 8)
    assert np.array_equal(got, np.concatenate([whole0[:, 1020:], whole1[:, :4]], axis=1))
    assert np.array_equal(set_noise(SEED, 1, 1, p, 0, 1025, 1030), whole1[:, 1:6])


def test_month_t_does_not_depend_on_the_horizon() -> None:
    short = tables(plan(1, 2, 3, 2), batch=4, workers=1, pipelines=("private",))["draw_private_noise"]
    long = tables(plan(1, 2, 3, 5), batch=4, workers=1, pipelines=("private",))["draw_private_noise"]
    assert short == [r for r in long if r[4] <= 2]


def test_only_selected_taps_get_tables() -> None:
    con = connect(None)
    counts = write_noise(con, SEED, plan(1, 1, 1, 1), ["private"], 10, 1)
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert counts == {"draw_private_noise": 1} and names == {"draw_private_noise", "path_range"}
    assert con.execute("SELECT * FROM path_range").fetchall() == [(0, 1)]
    columns = "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'draw_private_noise'"
    types = dict(con.execute(columns).fetchall())
    assert types == {
        "path_id": "BIGINT",
        "grid_index": "BIGINT",
        "replicate_index": "BIGINT",
        "mc_index": "BIGINT",
        "month": "BIGINT",
        "z_cac": "DOUBLE",
        "z_hours": "DOUBLE",
    }


def test_seed_changes_every_draw() -> None:
    p = plan(1, 2, 2, 3)
    con_a, con_b = connect(None), connect(None)
    write_noise(con_a, SEED, p, ["public"], 10, 1)
    write_noise(con_b, SEED + 1, p, ["public"], 10, 1)
    a = con_a.execute("SELECT z_cac, z_tokens FROM draw_public_noise").fetchall()
    b = con_b.execute("SELECT z_cac, z_tokens FROM draw_public_noise").fetchall()
    assert all(x != y for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))


def test_jobs_are_reported_per_parameter_set_in_order() -> None:
    """job_start / job_done per (grid, replicate) [OUT-11], whatever the batch boundaries."""
    events: list[tuple[str, int, int, int, int]] = []
    con: duckdb.DuckDBPyConnection = connect(None)
    write_noise(con, SEED, plan(2, 2, 3, 1), ["public", "private"], 2, 2, on_job=lambda *e: events.append(e))
    expected = []
    for g in range(2):
        for r in range(2):
            expected += [("job_start", g, r, 0, 3), ("job_done", g, r, 3, 3)]
    assert events == expected


def test_progress_counts_paths() -> None:
    seen: list[tuple[int, int]] = []
    write_noise(connect(None), SEED, plan(1, 2, 3, 1), ["public"], 4, 1, on_batch=lambda d, t: seen.append((d, t)))
    assert seen == [(4, 6), (6, 6)]
