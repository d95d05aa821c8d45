"""The header of a series model, generated from the header of the per-path model it aggregates.

A series table holds the `p<q>` rows ([GEN-5]) and the `rep` rows ([FIN-11]) of a per-path model (`series.py`).
Its columns are the source's, so they are declared once, in the source model's header: a key keeps the source's
type and description, a passthrough column (the representative path's value on every row, [OUT-3]) too, and a
value column keeps its unit and description but takes the type the percentile arithmetic gives (`series_type`).
The header is written out as header text and parsed like any model's, so the contract check and the COMMENTs
treat a series table as any other model table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.header import Column, ModelHeader, parse_header

SERIES_COLUMNS = (
    Column(
        "series",
        "VARCHAR",
        "text",
        "p<q>: the q-th percentile over paths of each column on its own [GEN-5]; rep: the representative path [FIN-11]",
    ),
    Column("series_order", "INTEGER", "id", "sort key of the series: q for p<q>, 1000 for rep"),
)
"""The two columns every series table starts with."""

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def series_type(source_type: str) -> str:
    """The type of a series value column over a source column of `source_type`: the type of the `pctl`
    arithmetic x_i + (x_{i+1} − x_i)·f with f a DECIMAL(38,2), united with the `rep` value's.

    DOUBLE stays DOUBLE; an integer becomes DECIMAL(38,2); DECIMAL(w ≤ 18, s) becomes DECIMAL(38, s + 2) (two more
    decimals, exact). `tests/unit/test_series_models.py` checks the rule against DuckDB.

    Raises:
        RuntimeFailure: another type (an engine bug: a series column must be a number the rule covers).
    """
    if source_type == "DOUBLE":
        return "DOUBLE"
    if source_type in _INTEGER_TYPES:
        return "DECIMAL(38,2)"
    match = _DECIMAL.fullmatch(source_type)
    if match and int(match.group(1)) <= 18:
        return f"DECIMAL(38,{int(match.group(2)) + 2})"
    raise RuntimeFailure(f"a series cannot aggregate a column of type {source_type}")


def _line(column: Column) -> str:
    return f"--   {column.name} {column.type} <{column.unit}>  {column.description}"


def header_text(header: ModelHeader) -> str:
    """`header` as model header text (what `parse_header` reads back to an equal header)."""
    lines = [
        f"-- model: {header.name}",
        f"-- version: {header.version}",
        f"-- purpose: {header.purpose}",
    ]
    if header.pipelines:
        lines.append(f"-- pipelines: {', '.join(header.pipelines)}")
    if header.scope:
        lines.append(f"-- scope: {header.scope}")
    lines.append(f"-- grain: {', '.join(header.grain)}")
    lines += [f"-- artefact: {file}: {', '.join(listed)}" for file, listed in header.artefacts.items()]
    lines.append("-- columns:")
    lines += [_line(c) for c in header.columns]
    return "\n".join(lines) + "\n"


def _source_column(source: ModelHeader, name: str) -> Column:
    for column in source.columns:
        if column.name == name:
            return column
    raise RuntimeFailure(f"model {source.name} declares no column {name}; a series cannot read it")


def series_columns(
    source: ModelHeader, keys: Sequence[str], values: Sequence[str], passthrough: Sequence[str] = ()
) -> list[Column]:
    """The columns of a series table over `source`: series, series_order, the keys, the values, the passthrough."""
    columns = list(SERIES_COLUMNS)
    columns += [_source_column(source, k) for k in keys]
    for name in values:
        per_path = _source_column(source, name)
        text = f"{source.name}.{name}, its p<q> over paths or its rep value; per path: {per_path.description}"
        columns.append(Column(name, series_type(per_path.type), per_path.unit, text))
    for name in passthrough:
        per_path = _source_column(source, name)
        text = f"the representative path's value on every row [OUT-3]; {per_path.description}"
        columns.append(Column(name, per_path.type, per_path.unit, text))
    return columns


def make_header(
    name: str,
    version: int,
    purpose: str,
    grain: Sequence[str],
    columns: Sequence[Column],
    pipelines: Sequence[str],
    artefacts: dict[str, list[str]],
    owner: str,
) -> ModelHeader:
    """An across-paths model header from its parts, written as header text and parsed back (the same grammar and
    checks as a SQL model's header)."""
    draft = ModelHeader(
        name,
        version,
        purpose=purpose,
        grain=list(grain),
        pipelines=list(pipelines),
        scope="across paths",
        columns=list(columns),
        artefacts=artefacts,
    )
    return parse_header(header_text(draft), owner)


def series_header(
    name: str,
    source: ModelHeader,
    purpose: str,
    keys: Sequence[str],
    values: Sequence[str],
    passthrough: Sequence[str] = (),
    artefacts: dict[str, list[str]] | None = None,
    owner: str = "",
) -> ModelHeader:
    """The header of the series table `name` over the per-path model header `source` (version 1).

    `artefacts`: the CSV file(s) the table's rows go to, with their columns in file order.
    """
    return make_header(
        name,
        1,
        f"{purpose}: p<q> and rep rows of the per-path model {source.name} [GEN-5] [FIN-11]",
        ["series", *keys],
        series_columns(source, keys, values, passthrough),
        source.pipelines,
        artefacts or {},
        owner,
    )
