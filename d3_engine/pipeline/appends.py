"""Batches appended to run.duckdb's whole-run tables in whole row groups, so the file holds no free blocks.

A DuckDB table is stored in row groups of `ROW_GROUP_ROWS` rows. Appending a batch whose row count is not a
multiple of it leaves a partly filled last row group; the next batch's append fills it, and the checkpoint
then writes that row group again and frees the blocks of its first version. Batch after batch those free
blocks added up to about 40 % of run.duckdb (2.1 GB at 100 000 paths × 36 months instead of 1.26 GB).

`RowGroupAppender` appends the rows of a batch's table in whole row groups only and carries the remainder
(fewer than `ROW_GROUP_ROWS` rows per table) in an in-memory database to the next batch; `flush` appends the
last remainders once every batch is in. Each append reads its source in rowid order (a single ordered stream:
a parallel insert of ranges that do not start on a row group of the source writes some rows twice), so the
rows keep the batches' order and every table is written exactly once. Memory: at most one row group per
table waits in the carry, whatever the number of paths or the batch size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

#: DuckDB's rows per row group (the default of `ATTACH … (ROW_GROUP_SIZE …)`); run.duckdb uses the default.
ROW_GROUP_ROWS = 122_880
CARRY_DB = "d3_carry"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class RowGroupAppender:
    """Appends batches of rows to tables of the run's database in whole row groups (see the module docstring).

    Every append and `flush` run on the connection given here, one at a time, in the order of the batches.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.carried: dict[str, int] = {}  # table -> rows waiting in the carry database
        self.targets: dict[str, str] = {}  # table -> its qualified name in the run's database
        self.attached = False

    def _carry(self, table: str) -> str:
        return f"{CARRY_DB}.main.{_quote(table)}"

    def append(self, source: str, target: str, table: str) -> None:
        """Append every row of `source` (a qualified table name) to `target` (created on the first call,
        with `source`'s columns); `table` names the pair in the carry."""
        if not self.attached:
            self.con.execute(f"ATTACH ':memory:' AS {CARRY_DB}")
            self.attached = True
        if table not in self.carried:
            self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source} LIMIT 0")
            self.con.execute(f"CREATE TABLE {self._carry(table)} AS SELECT * FROM {source} LIMIT 0")
            self.carried[table] = 0
            self.targets[table] = target
        rows, end = self.con.execute(f"SELECT count(*), coalesce(max(rowid) + 1, 0) FROM {source}").fetchall()[0]
        if rows != end:  # rowids with gaps (rows deleted): positions are not rowids, so go through the carry
            self._move(source, self._carry(table), "rowid >= 0")
            self.carried[table] += int(rows)
            self._drain(table, target)
            return
        self._append_dense(source, target, table, int(rows))

    def _append_dense(self, source: str, target: str, table: str, rows: int) -> None:
        start = 0
        waiting = self.carried[table]
        if waiting:  # complete the carried row group first
            start = min(ROW_GROUP_ROWS - waiting, rows)
            self._move(source, self._carry(table), f"rowid < {start}")
            self.carried[table] = waiting + start
            self._drain(table, target)
        whole = (rows - start) // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        if whole:
            self._move(source, target, f"rowid >= {start} AND rowid < {start + whole}")
        if rows - start - whole:
            self._move(source, self._carry(table), f"rowid >= {start + whole}")
            self.carried[table] += rows - start - whole

    def _drain(self, table: str, target: str) -> None:
        """Append the carry's whole row groups to `target`, keep the rest in the carry."""
        whole = self.carried[table] // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        if not whole:
            return
        carry = self._carry(table)
        self._move(carry, target, f"rowid < {whole}")
        rest = f"SELECT * FROM {carry} WHERE rowid >= {whole} ORDER BY rowid"
        self.con.execute(f"CREATE OR REPLACE TABLE {carry} AS {rest}")  # dense rowids again
        self.carried[table] -= whole

    def _move(self, source: str, target: str, rows: str) -> None:
        self.con.execute(f"INSERT INTO {target} SELECT * FROM {source} WHERE {rows} ORDER BY rowid")

    def flush(self) -> None:
        """Append what the carry still holds (the last, partly filled row group of each table) and drop it."""
        for table, waiting in self.carried.items():
            if waiting:
                self._move(self._carry(table), self.targets[table], "rowid >= 0")
        self.close()

    def close(self) -> None:
        """Drop the carry database (also after a failure)."""
        if self.attached:
            self.con.execute(f"DETACH DATABASE IF EXISTS {CARRY_DB}")
            self.attached = False
        self.carried.clear()
        self.targets.clear()
