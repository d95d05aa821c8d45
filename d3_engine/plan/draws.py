"""Monte Carlo outcome noise as DuckDB tables (RNG-2, RNG-5, RNG-7).

`draw_public_noise` and `draw_private_noise` hold the standard-normal Z of every path and month
(CAC and usage noise of each tap); models turn Z into the mean-1 factor ε with the tap's sd.
Paths are produced in batches of consecutive path ids. A batch that cuts through an MC block of a
(grid, replicate) regenerates that whole block from its keyed stream and keeps its slice, so
neither the batch size nor the number of workers changes any value; batches are appended in
path_id order, so the table's row order does not depend on them either.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from d3_engine.core.db import append_rows, comment_on, create_table
from d3_engine.core.rng import CRN_GRID_POSITION, block_size, noise_block
from d3_engine.plan.scenarios import Plan

if TYPE_CHECKING:
    import duckdb

TAPS = {
    "public": (1, "draw_public_noise", "z_cac", "z_tokens"),
    "private": (2, "draw_private_noise", "z_cac", "z_hours"),
}
SCHEMA_KEYS = ("path_id", "grid_index", "replicate_index", "mc_index", "month")
PATH_RANGE_SCHEMA = {"first_path_id": "BIGINT", "end_path_id": "BIGINT"}
NOISE_COMMENTS = {
    "path_id": "path [GEN-2] [unit: id]",
    "grid_index": "grid point of the path [IN-16] [unit: id]",
    "replicate_index": "replicate of the path's grid point [IN-16] [unit: id]",
    "mc_index": "Monte Carlo iteration of the path within its parameter set [RNG-5] [unit: id]",
    "month": "plan month t = 1..H [unit: month]",
    "z_cac": "standard-normal Z of the month's CAC noise; the models scale it by cac_sd_pct [RNG-5] [unit: ratio]",
    "z_tokens": "standard-normal Z of the tokens per conversion; scaled by tokens_sd_pct [RNG-5] [PUB-8] [unit: ratio]",
    "z_hours": "standard-normal Z of the hours per client; scaled by hours_sd_pct [RNG-5] [PRV-5] [unit: ratio]",
}
#: Rows gathered before one DuckDB append: an INSERT costs milliseconds whatever its size, so small
#: generation batches are coalesced (order kept) instead of appended one by one.
APPEND_ROWS = 1 << 18
#: Called as on_job(event, grid_index, replicate_index, mc_done, mc_total) with event
#: `job_start` (first MC index of a parameter set drawn) or `job_done` (its last one), [OUT-11].
JobCallback = Callable[[str, int, int, int, int], None]


@dataclass(frozen=True)
class Batch:
    """A half-open range of path ids."""

    start: int
    stop: int


def batches(total: int, size: int) -> Iterator[Batch]:
    """Consecutive path-id ranges of at most `size` paths."""
    size = max(1, size)
    for start in range(0, total, size):
        yield Batch(start, min(total, start + size))


@lru_cache(maxsize=32)
def _block(seed: int, tap_id: int, kind_id: int, g: int, r: int, mb: int, horizon: int, bm: int) -> np.ndarray:
    """A whole noise block, remembered briefly: small batches cut the same block again and again.

    The cached array is read-only; callers slice and copy it. Bounded to 32 blocks (≤ 32 MB at
    H = 120, BM = 1024).
    """
    block = noise_block(seed, tap_id, kind_id, g, r, mb, horizon, bm)
    block.setflags(write=False)
    return block


def set_noise(
    seed: int, tap_id: int, kind_id: int, plan: Plan, param_set: int, lo: int, hi: int
) -> npt.NDArray[np.float64]:
    """Z of MC indices lo..hi−1 of one parameter set, shape (H, hi − lo), month-major ([RNG-2]).

    Only the blocks mb = lo // BM … (hi − 1) // BM are generated, each whole (BM columns) so a block
    has the same values whoever asks for it; the slice keeps the requested MC indices. Every grid point
    reads the streams of grid position 0 ([RNG-9]), so its noise equals grid point 0's.
    """
    replicate_index = param_set % plan.replicates
    bm = block_size(plan.mc)
    first, last = lo // bm, (hi - 1) // bm
    blocks = [
        _block(seed, tap_id, kind_id, CRN_GRID_POSITION, replicate_index, mb, plan.horizon, bm)
        for mb in range(first, last + 1)
    ]
    z = blocks[0] if len(blocks) == 1 else np.concatenate(blocks, axis=1)
    return z[:, lo - first * bm : hi - first * bm]


def _batch_noise(seed: int, tap_id: int, plan: Plan, batch: Batch) -> dict[str, np.ndarray]:
    """Columns of one batch for one tap, ordered by path_id then month."""
    m, h = plan.mc, plan.horizon
    sets: list[np.ndarray] = []
    mcs: list[np.ndarray] = []
    zs: list[np.ndarray] = []
    for param_set in range(batch.start // m, (batch.stop - 1) // m + 1):
        lo = max(batch.start, param_set * m) - param_set * m
        hi = min(batch.stop, (param_set + 1) * m) - param_set * m
        cac = set_noise(seed, tap_id, 1, plan, param_set, lo, hi)
        use = set_noise(seed, tap_id, 2, plan, param_set, lo, hi)
        sets.append(np.full(hi - lo, param_set, dtype=np.int64))
        mcs.append(np.arange(lo, hi, dtype=np.int64))
        zs.append(np.stack([cac.T, use.T]))  # (2, paths, H)
    set_ids, mc_ids = np.concatenate(sets), np.concatenate(mcs)
    z = np.concatenate(zs, axis=1)
    return {
        "path_id": np.repeat(set_ids * m + mc_ids, h),
        "grid_index": np.repeat(set_ids // plan.replicates, h),
        "replicate_index": np.repeat(set_ids % plan.replicates, h),
        "mc_index": np.repeat(mc_ids, h),
        "month": np.tile(np.arange(1, h + 1, dtype=np.int64), len(set_ids)),
        "z0": z[0].reshape(-1),
        "z1": z[1].reshape(-1),
    }


def _in_order(
    pool: ThreadPoolExecutor, work: Callable[[Batch], list[dict[str, np.ndarray]]], todo: list[Batch], ahead: int
) -> Iterator[tuple[Batch, list[dict[str, np.ndarray]]]]:
    """Results of `work` in batch order with at most `ahead` batches in flight (bounded memory)."""
    pending: deque[tuple[Batch, Future[list[dict[str, np.ndarray]]]]] = deque()
    for batch in todo:
        pending.append((batch, pool.submit(work, batch)))
        if len(pending) >= ahead:
            done, future = pending.popleft()
            yield done, future.result()
    while pending:
        done, future = pending.popleft()
        yield done, future.result()


class _Appender:
    """Buffers a draw table's columns in path_id order and appends them in large chunks."""

    def __init__(self, con: duckdb.DuckDBPyConnection, table: str, schema: dict[str, str]):
        self.con, self.table, self.schema = con, table, schema
        self.parts: list[dict[str, np.ndarray]] = []
        self.rows = 0

    def add(self, columns: dict[str, np.ndarray]) -> None:
        self.parts.append(columns)
        self.rows += len(columns["month"])
        if self.rows >= APPEND_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            merged = {c: np.concatenate([p[c] for p in self.parts]) for c in self.schema}
            append_rows(self.con, self.table, self.schema, merged)
        self.parts, self.rows = [], 0


def report_jobs(on_job: JobCallback, plan: Plan, batch: Batch) -> None:
    """job_start / job_done for the parameter sets this batch starts or completes (path_id order)."""
    m = plan.mc
    for param_set in range(batch.start // m, (batch.stop - 1) // m + 1):
        g, r = divmod(param_set, plan.replicates)
        if batch.start <= param_set * m:
            on_job("job_start", g, r, 0, m)
        if batch.stop >= (param_set + 1) * m:
            on_job("job_done", g, r, m, m)


def write_noise(
    con: duckdb.DuckDBPyConnection,
    seed: int,
    plan: Plan,
    pipelines: list[str],
    paths_per_batch: int,
    workers: int,
    on_batch: Callable[[int, int], None] | None = None,
    on_job: JobCallback | None = None,
) -> dict[str, int]:
    """Create the draw tables of the selected taps; returns row counts per table.

    Workers only generate NumPy columns (every selected tap of a batch at once); the appends run on
    this thread in path_id order. A job is the noise of one (grid, replicate): `on_job` reports its
    start and its completion once all its MC iterations of every tap are drawn.
    """
    taps = [TAPS[p] for p in ("public", "private") if p in pipelines]
    appenders = []
    for _, table, cac_col, use_col in taps:
        schema = {**dict.fromkeys(SCHEMA_KEYS, "BIGINT"), cac_col: "DOUBLE", use_col: "DOUBLE"}
        create_table(con, table, schema, {})
        comment_noise(con, table)
        appenders.append(_Appender(con, table, schema))

    def work(batch: Batch) -> list[dict[str, np.ndarray]]:
        return [_batch_noise(seed, tap_id, plan, batch) for tap_id, *_ in taps]

    workers = max(1, workers)
    done = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for batch, per_tap in _in_order(pool, work, list(batches(plan.paths, paths_per_batch)), 2 * workers):
            for (_, _, cac_col, use_col), appender, columns in zip(taps, appenders, per_tap, strict=True):
                columns[cac_col] = columns.pop("z0")
                columns[use_col] = columns.pop("z1")
                appender.add(columns)
            done += batch.stop - batch.start
            if on_job is not None:
                report_jobs(on_job, plan, batch)
            if on_batch is not None:
                on_batch(done, plan.paths)
    for appender in appenders:
        appender.flush()
    write_path_range(con, Batch(0, plan.paths))
    return {table: plan.paths * plan.horizon for _, table, _, _ in taps}


def comment_noise(con: duckdb.DuckDBPyConnection, table: str, note: str = "") -> None:
    """COMMENT a draw table and its columns (`note` is added to the table's comment)."""
    tap = next(t for t in TAPS.values() if t[1] == table)
    columns = [*SCHEMA_KEYS, tap[2], tap[3]]
    text = "Monte Carlo noise of one tap per path and month [RNG-2] [RNG-5]" + note
    comment_on(con, table, text, {c: NOISE_COMMENTS[c] for c in columns})


def write_path_range(con: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """`path_range`: the half-open path-id range the per-path models of this database compute (model paths)."""
    create_table(con, "path_range", PATH_RANGE_SCHEMA, {"first_path_id": [batch.start], "end_path_id": [batch.stop]})
    comment_on(
        con,
        "path_range",
        "the half-open range of path ids the per-path models compute; in run.duckdb every path of the run [GEN-2]",
        {
            "first_path_id": "first path id of the range [GEN-2] [unit: id]",
            "end_path_id": "one past the last path id of the range [GEN-2] [unit: id]",
        },
    )


def write_batch_noise(
    con: duckdb.DuckDBPyConnection, seed: int, plan: Plan, pipelines: list[str], batch: Batch
) -> None:
    """The draw tables and `path_range` of one batch of paths: the rows `write_noise` writes for its path ids."""
    for tap_id, table, cac_col, use_col in (TAPS[p] for p in ("public", "private") if p in pipelines):
        schema = {**dict.fromkeys(SCHEMA_KEYS, "BIGINT"), cac_col: "DOUBLE", use_col: "DOUBLE"}
        columns = _batch_noise(seed, tap_id, plan, batch)
        columns[cac_col] = columns.pop("z0")
        columns[use_col] = columns.pop("z1")
        create_table(con, table, schema, columns)
    write_path_range(con, batch)
