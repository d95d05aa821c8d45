"""`d3 sql`: a small read-only SQL shell on a run's `run.duckdb`, with the pinned duckdb package.

The DuckDB CLI on the package index cannot read the storage version the pinned duckdb writes, so
d3 brings its own shell: statements end with `;`, results print as aligned text tables, and
`.tables` / `.schema TABLE` list what the run holds with the COMMENTs of the model headers.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from d3_engine.core.errors import EXIT_INVALID, EXIT_OK, UsageError

if TYPE_CHECKING:
    import duckdb

HELP = """Statements end with ';' and may span lines. Helpers:
  .tables           every table and view with its comment
  .schema TABLE     the columns of TABLE: type and comment (unit)
  .help             this text
  .quit             leave (also Ctrl-D)"""


def database_of(run: Path) -> Path:
    """The `run.duckdb` of a run folder (or the file itself).

    Raises:
        UsageError: when there is no such file.
    """
    path = run if run.suffix == ".duckdb" else run / "run.duckdb"
    if not path.is_file():
        raise UsageError(
            f"no run database at {path}. To fix this, run `d3 run --out outputs` first, "
            "or pass --run with a run folder (for example outputs/latest)."
        )
    return path


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def format_table(columns: list[str], rows: list[tuple[Any, ...]], max_rows: int) -> str:
    """Rows as an aligned text table (numbers right-aligned), with a row count below."""
    shown = [[_cell(v) for v in row] for row in rows[:max_rows]]
    numeric = [
        all(isinstance(r[i], int | float | Decimal) for r in rows[:max_rows] if r[i] is not None)
        for i in range(len(columns))
    ]
    widths = [max([len(c), *(len(r[i]) for r in shown)]) for i, c in enumerate(columns)]

    def line(cells: list[str]) -> str:
        parts = [c.rjust(w) if num else c.ljust(w) for c, w, num in zip(cells, widths, numeric, strict=True)]
        return " | ".join(parts).rstrip()

    out = [line(list(columns)), "-+-".join("-" * w for w in widths), *(line(r) for r in shown)]
    more = len(rows) - len(shown)
    count = f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    out.append(f"{count}, {more} not shown: use LIMIT/OFFSET or --max-rows" if more > 0 else count)
    return "\n".join(out)


@dataclass
class Shell:
    """A read-only connection and where results and errors go."""

    con: duckdb.DuckDBPyConnection
    out: TextIO
    err: TextIO
    max_rows: int = 200

    def execute(self, sql: str) -> bool:
        """Run one statement and print its result; False (message on err) when DuckDB refuses it."""
        import duckdb

        try:
            cursor = self.con.execute(sql)
            rows = cursor.fetchall() if cursor.description else []
        except duckdb.Error as exc:
            self.err.write(f"Error: {str(exc).strip()}\n")
            return False
        if cursor.description:
            columns = [d[0] for d in cursor.description]
            self.out.write(format_table(columns, rows, self.max_rows) + "\n")
        return True

    def dot(self, command: str) -> bool:
        """A `.command`; False for an unknown one."""
        name, _, arg = command.strip().partition(" ")
        if name == ".tables":
            return self.execute(
                "SELECT table_name AS name, estimated_size AS rows, comment FROM duckdb_tables() "
                "WHERE schema_name = current_schema() UNION ALL "
                "SELECT view_name, NULL, comment FROM duckdb_views() WHERE NOT internal "
                "AND schema_name = current_schema() ORDER BY name"
            )
        if name == ".schema" and arg.strip():
            table = arg.strip().rstrip(";").replace("'", "''")
            return self.execute(
                "SELECT column_name AS name, data_type AS type, comment FROM duckdb_columns() "
                f"WHERE table_name = '{table}' AND schema_name = current_schema() ORDER BY column_index"
            )
        if name == ".help":
            self.out.write(HELP + "\n")
            return True
        self.err.write(f"Error: unknown command {command.strip()!r}; .help lists the commands\n")
        return False


def split_statements(text: str) -> list[str]:
    """Complete statements of `text` (each ending with ';'), quotes respected; a trailing rest is one more."""
    statements, current, quote = [], [], ""
    for char in text:
        current.append(char)
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            statements.append("".join(current).strip())
            current = []
    rest = "".join(current).strip()
    return [s for s in [*statements, rest] if s and s != ";"]


def run_query(db: Path, query: str, out: TextIO, err: TextIO, max_rows: int = 200) -> int:
    """`d3 sql -c QUERY`: run each statement of QUERY; exit 0, or 2 when one fails."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        shell = Shell(con, out, err, max_rows)
        ok = True
        for statement in split_statements(query):
            ok = (shell.dot(statement) if statement.startswith(".") else shell.execute(statement)) and ok
        return EXIT_OK if ok else EXIT_INVALID
    finally:
        con.close()


def repl(db: Path, stdin: TextIO, out: TextIO, err: TextIO, max_rows: int = 200) -> int:
    """The interactive loop: prompts only when stdin is a terminal; ends on `.quit` or end of input."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    interactive = stdin.isatty()
    shell = Shell(con, out, err, max_rows)
    if interactive:
        out.write(f"d3 sql on {db} (read-only). Statements end with ';'. .help for help, .quit to leave.\n")
    buffer = ""
    try:
        while True:
            if interactive:
                out.write("d3> " if not buffer else "...> ")
                out.flush()
            line = stdin.readline()
            if not line:
                break
            if not buffer and line.strip().startswith("."):
                if line.strip() in (".quit", ".exit"):
                    break
                shell.dot(line)
                continue
            buffer += line
            statements = split_statements(buffer)
            complete = buffer.rstrip().endswith(";")
            for statement in statements if complete else statements[:-1]:
                shell.execute(statement)
            buffer = "" if complete else (statements[-1] + "\n" if statements else "")
        if buffer.strip():
            shell.execute(buffer)
    finally:
        con.close()
    return EXIT_OK


def main(run: Path, query: str | None, max_rows: int = 200) -> int:
    """Open the run's database read-only; run `query` or read statements from stdin."""
    db = database_of(run)
    if query is not None:
        return run_query(db, query, sys.stdout, sys.stderr, max_rows)
    return repl(db, sys.stdin, sys.stdout, sys.stderr, max_rows)
