"""A whole-run table whose header declares identities (`-- virtual: <column> = <expression>`) is published as a
view over a table of its other columns (pipeline/appends.py): the names and the view's SELECT, said once here."""

from __future__ import annotations

from d3_engine.core.db import sql_identifier
from d3_engine.models.header import ModelHeader, identity_order


def stored_table(table: str) -> str:
    """The table that stores the columns of `table` other than its identities (`table` is then a view)."""
    return f"{table}_stored"


def identity_view(header: ModelHeader) -> str:
    """The SELECT of the view named after the header's table: its columns in header order, each `-- virtual:`
    column `CAST((expression) AS type)`.

    One nested SELECT per identity, in an order where an identity comes after those it uses, so DuckDB itself
    binds every name of an expression (a column, a function, a string literal stay what they are) and an identity
    that uses another reads that one's CAST value, as a generated column did. The stored table is named
    unqualified: a view binds it in its own database, under whatever name that database is attached as.
    """
    types = {c.name: c.type for c in header.columns}
    layers = f"SELECT * FROM {sql_identifier(stored_table(header.name))}"
    for column in identity_order(header):
        computed = f"CAST(({header.virtual[column]}) AS {types[column]}) AS {sql_identifier(column)}"
        layers = f"SELECT *, {computed} FROM ({layers})"
    columns = ", ".join(sql_identifier(c.name) for c in header.columns)
    return f"SELECT {columns} FROM ({layers})"
