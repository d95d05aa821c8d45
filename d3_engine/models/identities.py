"""A whole-run table whose header declares identities (`-- virtual: <column> = <expression>`) is published as a
view over a table of its other columns (pipeline/appends.py): the names and the view's SELECT, said once here."""

from __future__ import annotations

from d3_engine.core.db import sql_identifier
from d3_engine.models.header import ModelHeader, identity_order, identity_uses


def stored_table(table: str) -> str:
    """The table that stores the columns of `table` other than its identities (`table` is then a view)."""
    return f"{table}_stored"


def identity_view(header: ModelHeader) -> str:
    """The SELECT of the view named after the header's table: its columns in header order, each `-- virtual:`
    column `CAST((expression) AS type)`.

    The identities nest in levels (`identity_levels`), one SELECT per level over the SELECT of the levels below:
    an identity reads the CAST values of the identities it uses, as a generated column did, and DuckDB itself binds
    every name of an expression (a column, a function, a string literal stay what they are). No identity names
    another of its own level, so the identities of a level can share a SELECT; fewer nested SELECTs than one per
    identity make the view cheaper to bind, which every query that reads it pays (BENCH.md item 51). The stored
    table is named unqualified: a view binds it in its own database, under whatever name that database is
    attached as.
    """
    types = {c.name: c.type for c in header.columns}
    layers = f"SELECT * FROM {sql_identifier(stored_table(header.name))}"
    for level in identity_levels(header):
        computed = ", ".join(
            f"CAST(({header.virtual[column]}) AS {types[column]}) AS {sql_identifier(column)}" for column in level
        )
        layers = f"SELECT *, {computed} FROM ({layers})"
    columns = ", ".join(sql_identifier(c.name) for c in header.columns)
    return f"SELECT {columns} FROM ({layers})"


def identity_levels(header: ModelHeader) -> list[list[str]]:
    """The header's identities by level, each level in `identity_order`: level 0 uses no other identity, an
    identity that uses others is one level above the highest of them. A header with a loop (a header problem,
    refused before any view is made) still gets levels: an identity of the loop not yet placed counts as level 0,
    and DuckDB then refuses the view."""
    level: dict[str, int] = {}
    for column in identity_order(header):  # those an identity uses come before it, except inside a loop
        level[column] = 1 + max((level.get(used, 0) for used in identity_uses(header, column)), default=-1)
    return [[c for c in level if level[c] == n] for n in range(1 + max(level.values(), default=-1))]
