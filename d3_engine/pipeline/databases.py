"""The databases of a batched run (pipeline/batches.py): the run's, the scratch one and each batch's in-memory one,
the search path between them, and what a batch sees of the plan's per-parameter-set tables.

A batch's connection has its own in-memory database first on its search path, then the run's (and the scratch
database once attached): a per-path model creates its tables in the batch's database and reads the plan tables
of the run's. The per-set tables it reads through views of its own parameter sets (`Databases.scope_batch`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from d3_engine.core import interrupts
from d3_engine.core.db import sql_identifier, sql_literal
from d3_engine.models.header import ModelHeader
from d3_engine.models.scope import KEPT_PER_PATH, SCRATCH_PER_PATH
from d3_engine.pipeline.appends import RowGroupAppender
from d3_engine.plan.draws import Batch, JobCallback
from d3_engine.plan.scenarios import Plan

if TYPE_CHECKING:
    import duckdb

SCRATCH_DB = "d3_scratch"


class BatchStopped(Exception):
    """A batch ended early because its caller set `PathsPlan.stop` (another stress of the stage failed)."""


def stop_point(stop: threading.Event | None) -> None:
    """Between two models: end the work when a signal came (Interrupted) or the caller set `stop` (BatchStopped)."""
    interrupts.checkpoint()
    if stop is not None and stop.is_set():
        raise BatchStopped


#: The path-months a share must average before a plan is split to give every worker a batch. Measured on 2
#: cores (shipped inputs): a batch costs ~0.27 s of fixed work, and since DuckDB already runs each query on the
#: workers' threads a second batch gains little: 6 paths × 6 months 7.2 s of CPU in 2 batches, 5.9 s and a
#: quicker finish in 1; 1 000 and 2 000 paths × 36 months no quicker in 2 batches and +0.2–0.5 s of CPU.
MIN_SPLIT_PATH_MONTHS = 50_000

#: The block size of a small plan's database files, and the most path-months a plan may have to get it. DuckDB
#: gives every non-empty table blocks of its own: minimal_001's run.duckdb (1 path × 3 months, ~110 tables) is
#: 23 MB in 256 KiB blocks, 2.1 MB in 16 KiB ones; the test suite wrote 4.3 GB of run.duckdb files, 0.7 GB with
#: 16 KiB (its system CPU 31.8 → 25 s). Larger plans keep DuckDB's 256 KiB (the benchmark plans: 300 000
#: path-months and more), where each column segment then holds more rows.
SMALL_BLOCK_SIZE = 16 * 1024
SMALL_FILE_PATH_MONTHS = 50_000


def database_block_size(plan: Plan) -> int | None:
    """SMALL_BLOCK_SIZE for a plan of at most SMALL_FILE_PATH_MONTHS path-months, else None (DuckDB's default).
    Changes the size of run.duckdb, never an artefact or a row ([RNG-7])."""
    return SMALL_BLOCK_SIZE if plan.paths * plan.horizon <= SMALL_FILE_PATH_MONTHS else None


@dataclass
class PathsPlan:
    """What the batched run needs to know besides the models."""

    seed: int
    plan: Plan
    pipelines: list[str]
    batch_size: int
    keep_every_path: bool = False
    keep_only: frozenset[str] | None = None  # a stress run: these per-path tables only, no representative rows
    workers: int = 1  # batches computed at once (--max-concurrency); never changes a value or a row's order
    scratch_file: Path = Path(".scratch.duckdb")  # the scratch database (inside the staging folder)
    on_batch: Callable[[int, int], None] | None = None  # (paths done, paths in all)
    on_job: JobCallback | None = None  # job_start / job_done of each (grid, replicate) [OUT-11]
    stop: threading.Event | None = None  # set by the caller to end the run at its next model (BatchStopped)
    tables: dict[str, str] = field(default_factory=dict)  # per-path table -> "home" | "scratch" | "rep"
    headers: dict[str, ModelHeader] = field(default_factory=dict)  # per-path table -> its header (appends.py)
    unsorted: set[str] = field(default_factory=set)  # per-path tables whose model does not end with an ORDER BY

    def destination(self, table: str) -> str | None:
        """Where a batch's rows of `table` go: the run's database, the scratch one, or nowhere."""
        if self.keep_only is not None:
            return "home" if table in self.keep_only else None
        if self.keep_every_path or table in KEPT_PER_PATH:
            return "home"
        return "scratch" if table in SCRATCH_PER_PATH else None


def split_batch_size(plan: Plan, batch_size: int, workers: int) -> int:
    """Paths per batch: `batch_size` (--paths-per-batch, the memory of a worker) when the plan has more batches
    of it than workers; else the plan in equal batches, one per worker while they average MIN_SPLIT_PATH_MONTHS
    path-months or more (a smaller plan stays one batch, or the fewest `batch_size` allows). Never changes a
    byte ([RNG-7])."""
    needed = -(-plan.paths // max(1, batch_size))
    if needed > workers:
        return max(1, batch_size)
    shares = max(1, needed, min(workers, plan.paths * plan.horizon // MIN_SPLIT_PATH_MONTHS))
    return max(1, -(-plan.paths // shares))


def search_path(con: duckdb.DuckDBPyConnection, *catalogs: str) -> None:
    """Unqualified table names of `con` resolve in `catalogs`, first match first."""
    path = ",".join(f"{sql_identifier(c)}.main" for c in catalogs)
    con.execute(f"SET search_path = '{path}'")


class Databases:
    """The run's database, the scratch one and the batch's, and the search path between them."""

    def __init__(self, con: duckdb.DuckDBPyConnection, paths: PathsPlan) -> None:
        self.con, self.paths = con, paths
        self.home = str(con.execute("SELECT current_database()").fetchall()[0][0])
        self.catalogs = [self.home]
        self.active: set[duckdb.DuckDBPyConnection] = set()  # the batch connections still open
        self.appender = RowGroupAppender(con)  # the whole-run tables of run.duckdb, in whole row groups
        self.per_set: list[str] = []  # the per-set tables a batch sees through views

    def find_per_set_tables(self, per_path: set[str]) -> None:
        """The run's tables keyed by parameter set (a `param_set_id` column; not a per-path table): a batch
        reads them through views of its own parameter sets (`scope_batch`)."""
        rows = self.con.execute(
            "SELECT DISTINCT table_name FROM duckdb_columns() "
            "WHERE database_name = ? AND schema_name = 'main' AND column_name = 'param_set_id'",
            [self.home],
        ).fetchall()
        self.per_set = sorted(str(r[0]) for r in rows if str(r[0]) not in per_path)

    def scope_batch(self, cursor: duckdb.DuckDBPyConnection, slot: str, batch: Batch) -> None:
        """Views, in the batch's database (first on its search path), of the per-set tables restricted to the
        parameter sets of the batch's paths (param_set_id = path_id // M, [GEN-2]).

        A path's rows depend on its own parameter set's rows only, so the values are the same; but a model
        that joins a per-set table over every set (a batch of 5 000 paths holds 200 of 40 000 sets at 1M
        paths) or reads it into Python did work in proportion to the whole plan in every batch: 0.5 s of
        each batch's 6 s at 1 000 000 paths (issue 13)."""
        mc = max(1, self.paths.plan.mc)
        first, last = batch.start // mc, (batch.stop - 1) // mc
        home = sql_identifier(self.home)
        for table in self.per_set:
            name = sql_identifier(table)
            cursor.execute(
                f"CREATE VIEW {slot}.main.{name} AS SELECT * FROM {home}.main.{name} "
                f"WHERE param_set_id BETWEEN {first} AND {last}"
            )

    def attach_scratch(self) -> None:
        self.con.execute(f"ATTACH {sql_literal(self.paths.scratch_file)} AS {SCRATCH_DB}")
        self.catalogs.append(SCRATCH_DB)
        search_path(self.con, *self.catalogs)

    def catalog(self, where: str) -> str:
        return SCRATCH_DB if where == "scratch" else self.home

    def open_batch(self, slot: str) -> duckdb.DuckDBPyConnection:
        """A new connection whose default database is a fresh in-memory one named `slot`."""
        cursor = self.con.cursor()
        self.active.add(cursor)
        cursor.execute(f"ATTACH ':memory:' AS {slot}")
        cursor.execute(f"USE {slot}")
        search_path(cursor, slot, *self.catalogs)
        return cursor

    def close_batch(self, cursor: duckdb.DuckDBPyConnection, slot: str) -> None:
        """Detach the batch's database through its own connection, then close it. Not through the run's
        connection: a worker whose batch failed calls this while the main thread appends on that connection,
        and DuckDB then failed the append ("connection is busy") and hid the batch's own error."""
        self.active.discard(cursor)
        try:
            cursor.execute(f"USE {sql_identifier(self.home)}")  # a connection cannot detach its default database
            cursor.execute(f"DETACH DATABASE IF EXISTS {slot}")
        finally:
            cursor.close()
