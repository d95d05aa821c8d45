"""A whole-run table whose header declares identities (`-- virtual: <column> = <expression>`) is published as a
view over a table of its other columns (pipeline/appends.py): the names and the view's SELECT, said once here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from d3_engine.core.db import sql_identifier
from d3_engine.models.header import ModelHeader

if TYPE_CHECKING:
    import duckdb


def stored_table(table: str) -> str:
    """The table that stores the columns of `table` other than its identities (`table` is then a view)."""
    return f"{table}_stored"


IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]*\b")


def identity_view(header: ModelHeader) -> str:
    """The SELECT of the view named after the header's table: its columns in header order from the stored table
    (unqualified: a view binds it in its own database, under whatever name that database is attached), each
    `-- virtual:` column computed from its expression."""
    types = {c.name: c.type for c in header.columns}

    def computed(column: str, using: tuple[str, ...]) -> str:
        if column in using:
            raise ValueError(f"{header.name}: the identity of {column} uses itself ({' → '.join(using)})")

        def term(match: re.Match[str]) -> str:
            name = match.group(0)
            return computed(name, (*using, column)) if name in header.virtual else name

        return f"CAST(({IDENTIFIER.sub(term, header.virtual[column])}) AS {types[column]})"

    select = [
        f"{computed(c.name, ())} AS {sql_identifier(c.name)}" if c.name in header.virtual else sql_identifier(c.name)
        for c in header.columns
    ]
    return f"SELECT {', '.join(select)} FROM {sql_identifier(stored_table(header.name))}"


def drop_published(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop `table` whether it is a table or a published view of identities (with its stored table)."""
    views = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND database_name = current_database() "
        "AND schema_name = current_schema()",
        [table],
    ).fetchall()[0][0]
    if views:
        con.execute(f"DROP VIEW {sql_identifier(table)}")
        con.execute(f"DROP TABLE IF EXISTS {sql_identifier(stored_table(table))}")
    else:
        con.execute(f"DROP TABLE IF EXISTS {sql_identifier(table)}")
