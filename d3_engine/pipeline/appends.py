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

A table whose grain is `path_id, month` and whose batch holds every month of every path of the batch (as every
per-path monthly table does) needs no sorted source: a row's place in grain order is computed from its key,
(path_id − first path) · months + (month − first month), so the model skips its own final sort (one sort of each
row instead of two; pipeline/batches.py). Any other table is read in rowid order, which its model's ORDER BY made
grain order.

Given the table's model header, two things make the file smaller (issue 13: a run folder under 1 GB at
100 000 paths × 36 months):
- Month-major row groups: inside each row group the rows are stored by the grain with `path_id` last (month,
  then path_id, for a grain path_id, month). A column then holds the same month of consecutive paths side by
  side, values of one size that DuckDB's bit-packing stores in fewer bits than a path's months, which grow
  from zero (finance_month: 741 → 573 MB). Which rows form a row group depends only on their position in
  grain order (every ROW_GROUP_ROWS rows), never on the batch size or the workers, so the file's row order is
  as reproducible as before; a query that needs an order says ORDER BY.
- Identities computed when read: a column the header declares `-- virtual: <column> = <expression>` (an
  accounting identity such as total_assets_eur) is not stored. The other columns go to the table
  `<table>_stored`, and `<table>` is a VIEW over it that adds each identity, CAST to its declared type (an
  identity that uses another reads that one's CAST value, as a generated column did: models/identities.py), in
  the header's column order. The model's contract has checked the identity on every row of the batch, so the view
  gives the model's values. Not VIRTUAL generated columns: DuckDB checks a generated column's expression on
  every INSERT, ~0.13 s per row group of finance_month (as much as compressing it), BENCH.md ninth session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from d3_engine.core.db import sql_identifier
from d3_engine.models.header import ModelHeader
from d3_engine.models.identities import identity_view, stored_table

if TYPE_CHECKING:
    import duckdb

#: DuckDB's rows per row group (the default of `ATTACH … (ROW_GROUP_SIZE …)`); run.duckdb uses the default.
ROW_GROUP_ROWS = 122_880
#: The grain of the tables whose rows' places are computed from their keys (see the module docstring).
PATH_MONTH = ["path_id", "month"]
CARRY_DB = "d3_carry"


class RowGroupAppender:
    """Appends batches of rows to tables of the run's database in whole row groups (see the module docstring).

    Every append and `flush` run on the connection given here, one at a time, in the order of the batches.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.carried: dict[str, int] = {}  # table -> rows waiting in the carry database
        self.targets: dict[str, str] = {}  # table -> its qualified name in the run's database
        self.orders: dict[str, str] = {}  # table -> ORDER BY terms of the rows inside a row group
        self.stored: dict[str, str] = {}  # table -> its stored columns, listed ("*" when all are)
        self.attached = False

    def _carry(self, table: str) -> str:
        return f"{CARRY_DB}.main.{sql_identifier(table)}"

    def append(
        self, source: str, target: str, table: str, header: ModelHeader | None = None, in_grain_order: bool = True
    ) -> None:
        """Append every row of `source` (a qualified table name) to `target` (created on the first call,
        with `source`'s columns, or from `header`: month-major row groups and virtual columns, see above);
        `table` names the pair in the carry. `in_grain_order`: the source's rowid order is its grain's (a model
        that ends with its ORDER BY); else a table with a header is sorted here first (a path × month table is
        placed by its keys instead)."""
        if not self.attached:
            self.con.execute(f"ATTACH ':memory:' AS {CARRY_DB}")
            self.attached = True
        if table not in self.carried:
            self._create(source, target, table, header)
        target = self.targets[table]  # the stored table under a view of identities (see the module docstring)
        if header is not None and header.grain == PATH_MONTH:
            self._append_path_months(source, target, table)
            return
        if header is not None and header.grain and not in_grain_order:
            self._append_sorted(source, target, table, header.grain)
            return
        rows, end = self.con.execute(f"SELECT count(*), coalesce(max(rowid) + 1, 0) FROM {source}").fetchall()[0]
        if rows != end:  # rowids with gaps (rows deleted): positions are not rowids, so go through the carry
            self._move(table, source, self._carry(table), "rowid >= 0")
            self.carried[table] += int(rows)
            self._drain(table, target)
            return
        self._append_dense(source, target, table, int(rows), "rowid")

    def _append_path_months(self, source: str, target: str, table: str) -> None:
        """Append a path × month table in any row order (see the module docstring); one that lacks some month of
        some path is sorted here first."""
        rows, first_path, last_path, first_month, last_month = self.con.execute(
            f"SELECT count(*), min(path_id), max(path_id), min(month), max(month) FROM {source}"
        ).fetchall()[0]
        if not rows:
            return
        months = int(last_month) - int(first_month) + 1
        if rows == (int(last_path) - int(first_path) + 1) * months:  # the grain is unique (the model's contract)
            place = f"((path_id - {int(first_path)}) * {months} + (month - {int(first_month)}))"
            self._append_dense(source, target, table, int(rows), place)
            return
        self._append_sorted(source, target, table, PATH_MONTH)

    def _append_sorted(self, source: str, target: str, table: str, grain: list[str]) -> None:
        """Append `source` after sorting it by `grain` (a copy in the carry database)."""
        in_order = f"{CARRY_DB}.main.{sql_identifier('_d3_sorted_' + table)}"
        keys = ", ".join(sql_identifier(g) for g in grain)
        created = self.con.execute(f"CREATE OR REPLACE TABLE {in_order} AS SELECT * FROM {source} ORDER BY {keys}")
        self._append_dense(in_order, target, table, int(created.fetchall()[0][0]), "rowid")
        self.con.execute(f"DROP TABLE {in_order}")

    def _create(self, source: str, target: str, table: str, header: ModelHeader | None) -> None:
        """The target (for a header with identities: the stored table and the view named `target`), its carry
        (stored columns only) and the order inside its row groups."""
        stored = "*"
        if header is not None and header.virtual:
            schema, _, name = target.rpartition(".")
            if name.strip('"') != table:
                raise ValueError(f"append target {target} does not name table {table}")
            stored_target = ".".join([*([schema] if schema else []), sql_identifier(stored_table(table))])
            columns = [c for c in header.columns if c.name not in header.virtual]
            declared = ", ".join(f"{sql_identifier(c.name)} {c.type}" for c in columns)
            self.con.execute(f"CREATE OR REPLACE TABLE {stored_target} ({declared})")
            self.con.execute(f"CREATE OR REPLACE VIEW {target} AS {identity_view(header)}")
            stored = ", ".join(sql_identifier(c.name) for c in columns)
            target = stored_target  # the rows go to the stored table
        else:
            self.con.execute(f"CREATE OR REPLACE TABLE {target} AS SELECT * FROM {source} LIMIT 0")
        self.con.execute(f"CREATE TABLE {self._carry(table)} AS SELECT {stored} FROM {source} LIMIT 0")
        self.carried[table] = 0
        self.targets[table] = target
        self.stored[table] = stored
        order = month_major(header.grain) if header is not None else []
        self.orders[table] = "".join(f", {sql_identifier(c)}" for c in order)

    def _append_dense(self, source: str, target: str, table: str, rows: int, position: str) -> None:
        """Append `rows` rows whose places in grain order are 0 … rows − 1, given by the SQL `position`."""
        start = 0
        waiting = self.carried[table]
        carry = self._carry(table)
        if waiting:  # complete the carried row group first
            start = min(ROW_GROUP_ROWS - waiting, rows)
            if waiting + start == ROW_GROUP_ROWS and self.orders[table]:
                self._complete_group(table, source, target, f"{position} < {start}")
            else:
                self._move(table, source, carry, f"{position} < {start}", self._carry_order(table, position))
                self.carried[table] = waiting + start
                self._drain(table, target)
        whole = (rows - start) // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        if whole:
            where = f"{position} >= {start} AND {position} < {start + whole}"
            self._move(table, source, target, where, self._order(table, start, position))
        if rows - start - whole:
            self._move(table, source, carry, f"{position} >= {start + whole}", self._carry_order(table, position))
            self.carried[table] += rows - start - whole

    def _carry_order(self, table: str, position: str) -> str | None:
        """The order rows go into the carry in. It holds the first rows of one row group, which its drain sorts by
        the table's order inside a row group (a total order: the grain's): their order matters only for a table
        without a header, and for none in which rows of a later row group could join them."""
        return None if self.orders[table] else position

    def _complete_group(self, table: str, source: str, target: str, rows: str) -> None:
        """Write the carried row group, completed by the rows `rows` of `source`, to `target` in one sorted
        INSERT (the batch's rows are not copied into the carry first: one sort of each row, not two)."""
        stored = self.stored[table]
        into = target if stored == "*" else f"{target} ({stored})"
        carry = self._carry(table)
        both = f"SELECT {stored} FROM {carry} UNION ALL SELECT {stored} FROM {source} WHERE {rows}"
        self.con.execute(f"INSERT INTO {into} SELECT * FROM ({both}) ORDER BY {self.orders[table].removeprefix(', ')}")
        self.con.execute(f"CREATE OR REPLACE TABLE {carry} AS SELECT * FROM {carry} LIMIT 0")
        self.carried[table] = 0

    def _drain(self, table: str, target: str) -> None:
        """Append the carry's whole row groups to `target`, keep the rest in the carry."""
        whole = self.carried[table] // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        if not whole:
            return
        carry = self._carry(table)
        self._move(table, carry, target, f"rowid < {whole}", self._order(table, 0))
        rest = f"SELECT * FROM {carry} WHERE rowid >= {whole} ORDER BY rowid"
        self.con.execute(f"CREATE OR REPLACE TABLE {carry} AS {rest}")  # dense rowids again
        self.carried[table] -= whole

    def _order(self, table: str, first: int, position: str = "rowid") -> str:
        """ORDER BY of rows moved to the target from place `first` on: row group by row group, each in its order."""
        return f"({position} - {first}) // {ROW_GROUP_ROWS}{self.orders[table]}, {position}"

    def _move(self, table: str, source: str, target: str, rows: str, order: str | None = "rowid") -> None:
        stored = self.stored[table]
        into = target if stored == "*" else f"{target} ({stored})"
        ordered = "" if order is None else f" ORDER BY {order}"
        self.con.execute(f"INSERT INTO {into} SELECT {stored} FROM {source} WHERE {rows}{ordered}")

    def flush(self) -> None:
        """Append what the carry still holds (the last, partly filled row group of each table) and drop it."""
        for table, waiting in self.carried.items():
            if waiting:
                self._move(table, self._carry(table), self.targets[table], "rowid >= 0", self._order(table, 0))
        self.close()

    def close(self) -> None:
        """Drop the carry database (also after a failure)."""
        if self.attached:
            self.con.execute(f"DETACH DATABASE IF EXISTS {CARRY_DB}")
            self.attached = False
        self.carried.clear()
        self.targets.clear()
        self.orders.clear()
        self.stored.clear()


def month_major(grain: list[str]) -> list[str]:
    """The order of a whole-run table's rows inside a row group: its grain with `path_id` moved last (month,
    path_id for path_id, month), so a column holds the same month of consecutive paths side by side."""
    return [g for g in grain if g != "path_id"] + (["path_id"] if "path_id" in grain else [])
