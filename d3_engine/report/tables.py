"""Read side of the report: the run database, report tables and monthly series ([OUT-10]).

The report reads run.duckdb only, through `Db`, which never writes: it works on the open
connection of `d3 run` and on a read-only connection of `d3 report` alike, so both render the same
bytes. A `ReportTable` is what a section shows: typed columns whose *name* gives the CSV format of
[OUT-3] (`_eur` → 2 decimals, `_pct` → 4, *int* columns integers, else 6) and whose *kind* gives the
text for people (`report_format`). Monthly series (`p<q>` rows per [GEN-5], then `rep`, [FIN-11]) come
from the series model's table when it exists, else from the same `series.series_sql` over the
per-path table, so the report and the CSVs agree to the last digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core.formats import INT_COLUMNS, ColumnPlaces, places_for_unit, write_csv
from d3_engine.models.render import render_text
from d3_engine.models.series import series_sql
from d3_engine.report.format import KINDS, format_value

if TYPE_CHECKING:
    import duckdb

BY_UNIT = "by_unit"
"""Column kind whose display follows the row's `unit` cell (assumption tables mix units)."""
UNIT_KINDS = {
    "EUR": "eur",
    "EUR_per_month": "eur",
    "EUR_per_1k": "eur_rate",
    "EUR_per_1M": "eur_rate",
    "percent": "pct",
    "months": "num",
    "count": "int",
    "seconds": "int",
    "days": "num",
    "ratio": "num",
    "fraction": "num",
    "tokens": "tokens",
    "hours": "hours",
}
"""Display kind of each [IN-14] unit."""

Row = dict[str, Any]
Series = dict[str, dict[int, Row]]
"""series label (`p10`, …, `rep`) → month → column values."""


class Db:
    """Queries on the run database; never writes to it."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        names = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
        self.tables = frozenset(str(n[0]) for n in names)

    def has(self, *tables: str) -> bool:
        """True when every named table exists in this run."""
        return all(t in self.tables for t in tables)

    def rows(self, sql: str) -> list[Row]:
        """All rows of a query as column → value dicts (the result is consumed at once)."""
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    def one(self, sql: str) -> Row | None:
        """The first row of a query, or None."""
        found = self.rows(sql)
        return found[0] if found else None

    def columns(self, table: str) -> list[str]:
        """Column names of a table in table order."""
        return [str(r[0]) for r in self.con.execute(f'DESCRIBE "{table}"').fetchall()]


@dataclass(frozen=True)
class Column:
    """A report column: CSV name ([OUT-3] format by name), label for people, display kind."""

    name: str
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in (*KINDS, BY_UNIT):
            raise ValueError(f"column {self.name}: unknown kind {self.kind!r}")
        # The CSV precision follows the name; a money column must carry `_eur` so both agree.
        if self.kind == "eur" and not self.name.endswith("_eur"):
            raise ValueError(f"money column {self.name} must end in _eur ([OUT-3])")
        if self.kind == "pct" and not self.name.endswith("_pct"):
            raise ValueError(f"percent column {self.name} must end in _pct ([OUT-3])")


@dataclass
class ReportTable:
    """One table of the report, also written as `report_tables/<name>.csv`."""

    name: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""
    kind: str = field(default="table", init=False)

    @property
    def labels(self) -> list[str]:
        """Column labels for people."""
        return [c.label for c in self.columns]

    def display_rows(self) -> list[list[str]]:
        """Every cell as text for people; a `by_unit` cell takes its kind from the row's `unit` cell."""
        names = [c.name for c in self.columns]
        unit_at = names.index("unit") if "unit" in names else None
        out = []
        for row in self.rows:
            cells = []
            for column, value in zip(self.columns, row, strict=True):
                kind = column.kind
                if kind == BY_UNIT:
                    kind = UNIT_KINDS.get(str(row[unit_at]) if unit_at is not None else "", "num")
                cells.append(format_value("text" if isinstance(value, str) else kind, value))
            out.append(cells)
        return out

    def write_csv(self, folder: Path) -> Path:
        """Write the table with the [OUT-3] formats: precision by column name, *int* columns are those of
        kind `int`, and a `by_unit` column takes the precision of the row's unit (EUR 2, percent 4, else 6),
        the rule of consolidated_kpis.csv."""
        path = folder / f"{self.name}.csv"
        names = [c.name for c in self.columns]
        ints = INT_COLUMNS | {c.name for c in self.columns if c.kind == "int"}
        places: dict[str, ColumnPlaces] = {}
        if "unit" in names:
            unit_at = names.index("unit")

            def by_row_unit(row: Sequence[object]) -> int:
                return places_for_unit(str(row[unit_at]))

            places = {c.name: by_row_unit for c in self.columns if c.kind == BY_UNIT}
        write_csv(path, names, self.rows, int_columns=frozenset(ints), column_places=places)
        return path


def table_from_rows(name: str, title: str, columns: list[Column], rows: list[Row], note: str = "") -> ReportTable:
    """A ReportTable whose rows are dicts keyed by column name."""
    return ReportTable(name, title, columns, [[r.get(c.name) for c in columns] for r in rows], note)


def series(
    db: Db,
    table: str,
    source: str,
    columns: list[str],
    percentiles: list[int],
    rep_path_id: int,
    monthly: bool = True,
) -> Series | None:
    """Series of `columns` by month (or one row per series, key 0, when `monthly` is false): from the
    series table `table` if the run has it, else computed from the per-path table `source` exactly as
    the exporter computes it; None when neither exists."""
    keys = ["month"] if monthly else []
    key_sql = "month" if monthly else "0 AS month"
    order = "series_order, month" if monthly else "series_order"
    if db.has(table) and set(columns) <= set(db.columns(table)):
        sql = f'SELECT series, {key_sql}, {", ".join(columns)} FROM "{table}" ORDER BY {order}'
    elif db.has(source):
        body = render_text(series_sql(source, keys, columns, percentiles, rep_path_id), {}, f"report {table}")
        sql = f"SELECT series, {key_sql}, {', '.join(columns)} FROM ({body}) AS s ORDER BY {order}"
    else:
        return None
    out: Series = {}
    for row in db.rows(sql):
        out.setdefault(str(row.pop("series")), {})[int(row.pop("month"))] = row
    return out


def series_labels(percentiles: list[int]) -> list[str]:
    """`p<q>` ascending, then `rep` ([GEN-6])."""
    return [f"p{q}" for q in percentiles] + ["rep"]


def band_table(
    name: str,
    title: str,
    data: Series,
    columns: list[Column],
    periods: dict[int, str],
    include_rep: bool = True,
    note: str = "",
) -> ReportTable:
    """Months as rows; per quantity one column per series (`cash_closing_p10_eur` … `cash_closing_rep_eur`)."""
    labels = [s for s in data if s != "rep"] + (["rep"] if include_rep and "rep" in data else [])
    cols = [Column("month", "Month", "int"), Column("period", "Period")]
    for column in columns:
        cols += [Column(_series_column_name(column.name, s), f"{column.label} {s}", column.kind) for s in labels]
    months = sorted(data.get("rep", next(iter(data.values()), {})))
    rows = [[m, periods.get(m, ""), *[data[s].get(m, {}).get(c.name) for c in columns for s in labels]] for m in months]
    return ReportTable(name, title, cols, rows, note)


def _series_column_name(base: str, label: str) -> str:
    """`cash_closing_eur` + `p10` → `cash_closing_p10_eur`, keeping the [OUT-3] suffix last."""
    for suffix in ("_eur", "_pct"):
        if base.endswith(suffix):
            return f"{base[: -len(suffix)]}_{label}{suffix}"
    return f"{base}_{label}"


def rep_rows(data: Series | None) -> list[Row]:
    """The `rep` rows of a series in month order, each with its `month`."""
    if not data or "rep" not in data:
        return []
    return [{"month": m, **row} for m, row in sorted(data["rep"].items())]


def values(data: Series, label: str, column: str, months: list[int]) -> list[float | None]:
    """One series of one column as floats for a chart (None where null)."""
    row_of = data.get(label, {})
    return [None if (v := row_of.get(m, {}).get(column)) is None else float(v) for m in months]


@dataclass
class Paragraph:
    """Running text of a section."""

    text: str
    kind: str = field(default="paragraph", init=False)


@dataclass
class Bullets:
    """A list of short statements (e.g. what breaks first)."""

    items: list[str]
    kind: str = field(default="bullets", init=False)


@dataclass
class Quote:
    """Text meant to be copied as is (the terms snippet of [PUB-10])."""

    title: str
    lines: list[str]
    kind: str = field(default="quote", init=False)


@dataclass
class Chart:
    """A chart: written to `charts/<name>.png` and embedded in the HTML as base64."""

    name: str
    title: str
    png: bytes
    caption: str = ""
    kind: str = field(default="chart", init=False)


Block = Paragraph | Bullets | Quote | Chart | ReportTable

NOT_COMPUTED = "not computed in this run"


@dataclass
class Section:
    """One section of [OUT-10], in order."""

    anchor: str
    title: str
    blocks: list[Block] = field(default_factory=list)

    def add(self, *blocks: Block) -> Section:
        """Append blocks in reading order."""
        self.blocks.extend(blocks)
        return self

    def missing(self, what: str) -> Section:
        """The plain sentence for a part whose table this run does not have (never fake numbers)."""
        self.blocks.append(Paragraph(f"{what}: {NOT_COMPUTED}."))
        return self
