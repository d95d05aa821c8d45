"""The model header: the contract at the top of every model (ARCHITECTURE §3, specs/engine.md).

A SQL model states it in its leading `--` comment block; a Python model states the same text in a
module-level string (one per table it writes). Every column line declares name, DuckDB type and a
unit from `UNITS` in angle brackets, then a description:

    -- model: public_price
    -- version: 1
    -- purpose: sell price per model on g* [PUB-5]
    -- pipelines: public
    -- grain: param_set_id, model
    -- columns:
    --   param_set_id BIGINT <id>  parameter set
    --   sell_eur_per_1k DOUBLE <EUR/1k tokens>  the price per 1k tokens [PUB-5]

`header_problems` lists what is wrong with a header (missing purpose, grain or columns, an unknown or
missing unit, a name that breaks the `_eur` rule); the run refuses to start while any is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

FILE_NAME = re.compile(r"^(?P<name>[a-z0-9_]+)_v(?P<version>\d+)\.sql$")
HEADER_KEY = re.compile(r"^--\s*(model|version|purpose|grain|pipelines|scope|artefact|virtual):\s*(.*)$")
#: `-- virtual: <column> = <SQL expression>`: an accounting identity of the row. The model still computes the
#: column (the contract checks it equals the expression on every row); the whole-run copy in run.duckdb does
#: not store it: a view over the other columns computes it when read (models/identities.py, issue 13).
VIRTUAL_VALUE = re.compile(r"^([a-z0-9_]+)\s*=\s*(\S.*)$")
#: `-- artefact: <file>.csv: a, b, …`: the columns (in file order) a CSV artefact takes from this model; several
#: lines for one file continue its list. The exporter reads them, so a file's columns are declared here only.
ARTEFACT_VALUE = re.compile(r"^([a-z0-9_]+\.csv):\s*(.*)$")
#: `-- scope:` values; without the line a model whose grain leads with path_id is computed path by path.
SCOPES = ("across paths",)
COLUMNS_KEY = re.compile(r"^--\s*columns:\s*$")
#: A column line: name, DuckDB type (a list type ends in `[]`), then `<unit>  description`.
COLUMN_LINE = re.compile(r"^--\s{2,}([a-z0-9_]+)\s+([A-Z]+(?:\(\d+,\s*\d+\))?(?:\[\])?)\s*(.*)$")
UNIT = re.compile(r"^<([^>]*)>\s*(.*)$")

# The fixed vocabulary of column units (specs/engine.md "Units"). Money amounts are `EUR`; a rate
# names what it is per. Keep this list and the table in specs/engine.md in step.
UNITS: dict[str, str] = {
    "EUR": "an amount of money in euros",
    "EUR x3000": "3000 × an amount in euros: an exact intermediate (days × percent), divided by 3000 once [FIN-6]",
    "EUR/month": "euros per month (a monthly fee or cost rate)",
    "EUR/GPU-hour": "euros per GPU-hour",
    "USD/GPU-hour": "US dollars per GPU-hour (offer price before FX)",
    "EUR/1k tokens": "euros per 1 000 tokens",
    "EUR/1M tokens": "euros per 1 000 000 tokens",
    "percent": "a percentage (50 = half)",
    "ratio": "a dimensionless quotient (a share, a fraction, a coverage ratio, a weight, a score)",
    "count": "a number of things (customers, clients, instances, replicas, events); may be fractional",
    "tokens": "tokens",
    "tokens/s": "tokens per second (of one instance)",
    "tokens/hour": "tokens per hour",
    "hours": "hours (client hours sold)",
    "GPU-hours": "GPU instance hours",
    "seconds": "seconds",
    "months": "a duration in months",
    "month": "a plan month index t = 1..H (or a month number of the calendar)",
    "year": "a calendar year or a plan-year index",
    "days": "a duration in days",
    "YYYY-MM": "a calendar month as text",
    "GB": "gigabytes",
    "B params": "billions of model parameters",
    "driver": "an overhead allocation driver: EUR, hours or 0/1 by the configured method [FIN-10]",
    "id": "a key or identifier (a number or a name)",
    "text": "free text or a category label",
    "flag": "a boolean",
    "KPI unit": "the unit of the row's KPI (EUR for a money KPI, ratio for dscr_min): a long table of several KPIs",
}


class Column(NamedTuple):
    """One declared column of a model's table."""

    name: str
    type: str
    unit: str
    description: str


@dataclass
class ModelHeader:
    """The contract written at the top of a model: one table."""

    name: str
    version: int
    purpose: str = ""
    grain: list[str] = field(default_factory=list)
    pipelines: list[str] = field(default_factory=list)
    scope: str = ""  # "across paths": reads many paths although its grain is per path (models/scope.py)
    columns: list[Column] = field(default_factory=list)
    artefacts: dict[str, list[str]] = field(default_factory=dict)  # `-- artefact:` file → its columns, in order
    virtual: dict[str, str] = field(default_factory=dict)  # `-- virtual:` column → its SQL expression
    owner: str = ""  # the file or module the header came from (for messages)
    problems: list[str] = field(default_factory=list)  # what the parser could not read

    def schema(self) -> dict[str, str]:
        """Column name → DuckDB type, in table order (what a Python model creates)."""
        return {c.name: c.type for c in self.columns}

    def comment(self) -> str:
        """The table's COMMENT: purpose and grain."""
        return f"{self.purpose} (grain: {', '.join(self.grain)}; model {self.name} v{self.version})"


def column_comment(column: Column) -> str:
    """A column's COMMENT: description and unit."""
    text = column.description or column.name
    return f"{text} [unit: {column.unit}]"


def parse_header(text: str, owner: str, name: str | None = None, version: int | None = None) -> ModelHeader:
    """Read the leading `--` comment block of `text` (a SQL model or a Python model's header string).

    Args:
        owner: where the text comes from, for messages (a file path or module name).
        name, version: what the file name says (SQL models); the header's `model:`/`version:` must agree.
    """
    lines = text.strip("\n").splitlines()
    header = ModelHeader(name or "", version or 0, owner=owner)
    in_columns = False
    for line in lines:
        if not line.startswith("--"):
            break
        key = HEADER_KEY.match(line)
        if key:
            in_columns = False
            _set_key(header, key[1], key[2].strip(), name, version)
        elif COLUMNS_KEY.match(line):
            in_columns = True
        elif in_columns and (column := COLUMN_LINE.match(line)):
            header.columns.append(_column(header, column[1], column[2], column[3]))
    return header


def parse_sql_header(text: str, path_name: str, owner: str) -> ModelHeader:
    """The header of a SQL model file `<name>_v<N>.sql`."""
    match = FILE_NAME.match(path_name)
    if match is None:
        header = ModelHeader(path_name, 0, owner=owner)
        header.problems.append(f"file name {path_name} is not <name>_v<N>.sql")
        return header
    return parse_header(text, owner, match["name"], int(match["version"]))


def _set_key(header: ModelHeader, key: str, value: str, name: str | None, version: int | None) -> None:
    if key == "grain":
        header.grain = [c.strip() for c in value.split(",") if c.strip()]
    elif key == "pipelines":
        header.pipelines = [c.strip() for c in value.split(",") if c.strip()]
    elif key == "purpose":
        header.purpose = value
    elif key == "scope":
        header.scope = value
    elif key == "artefact":
        listed = ARTEFACT_VALUE.match(value)
        if listed is None:
            header.problems.append(f"artefact line '{value}' is not `<file>.csv: column, column, …`")
        else:
            columns = [c.strip() for c in listed[2].split(",") if c.strip()]
            header.artefacts.setdefault(listed[1], []).extend(columns)
    elif key == "virtual":
        identity = VIRTUAL_VALUE.match(value)
        if identity is None:
            header.problems.append(f"virtual line '{value}' is not `<column> = <SQL expression>`")
        else:
            header.virtual[identity[1]] = identity[2].strip()
    elif key == "model":
        if name is not None and value != name:
            header.problems.append(f"header model '{value}' disagrees with the file name ({name})")
        header.name = value
    elif not value.isdigit():
        header.problems.append(f"header version '{value}' is not a whole number")
    else:
        if version is not None and int(value) != version:
            header.problems.append(f"header version '{value}' disagrees with the file name (v{version})")
        header.version = int(value)


def _column(header: ModelHeader, name: str, sql_type: str, rest: str) -> Column:
    unit = UNIT.match(rest.strip())
    if unit is None:
        header.problems.append(f"column {name}: no unit; write `{name} {sql_type} <unit>  description`")
        return Column(name, sql_type, "", rest.strip())
    return Column(name, sql_type, unit[1].strip(), unit[2].strip())


def header_problems(header: ModelHeader) -> list[str]:
    """Every way `header` breaks the contract rules (empty = a valid header)."""
    problems = list(header.problems)
    if not header.purpose:
        problems.append("no purpose")
    if not header.grain:
        problems.append("no grain")
    if not header.columns:
        problems.append("no columns")
    if header.scope and header.scope not in SCOPES:
        problems.append(f"scope '{header.scope}' is not one of: {', '.join(SCOPES)}")
    declared = [c.name for c in header.columns]
    problems += [f"grain column {g} is not a declared column" for g in header.grain if g not in declared]
    problems += [f"column {n} is declared twice" for n in sorted({n for n in declared if declared.count(n) > 1})]
    problems += [f"virtual column {v} is not a declared column" for v in header.virtual if v not in declared]
    problems += [f"grain column {g} cannot be virtual" for g in header.grain if g in header.virtual]
    if (loop := _identity_cycle(header)) is not None:
        problems.append(f"virtual columns use each other in a loop: {' → '.join(loop)}")
    for file, listed in header.artefacts.items():
        problems += [f"artefact {file}: column {c} is not a declared column" for c in listed if c not in declared]
        twice = sorted({c for c in listed if listed.count(c) > 1})
        problems += [f"artefact {file}: column {c} is listed twice" for c in twice]
    for column in header.columns:
        problems += _column_problems(column)
    return problems


def _column_problems(column: Column) -> list[str]:
    if not column.unit:
        return []  # reported by the parser
    if column.unit not in UNITS:
        return [f"column {column.name}: unknown unit <{column.unit}>{_suggest(column.unit)}"]
    if column.unit == "EUR" and not column.name.endswith("_eur"):
        return [f"column {column.name}: a money column (unit EUR) must end in _eur"]
    if column.name.endswith("_eur") and column.unit != "EUR":
        return [f"column {column.name}: only money columns (unit EUR) end in _eur, not <{column.unit}>"]
    return []


def _suggest(unit: str) -> str:
    import difflib

    close = difflib.get_close_matches(unit, list(UNITS), n=1, cutoff=0.5)
    return f" (did you mean <{close[0]}>?)" if close else f"; known units: {', '.join(UNITS)}"


#: A name in a `-- virtual:` expression. It decides which identities an identity uses: their order, their levels
#: in the view (`models/identities.identity_view`) and the loop check. A name inside a literal counts too (an
#: identity then only moves up a level: DuckDB binds the expressions themselves), and names are compared without
#: case, as DuckDB compares identifiers (`A_EUR` and `"A_Eur"` name `a_eur`).
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _names(expression: str) -> set[str]:
    return {name.lower() for name in NAME.findall(expression)}


def identity_uses(header: ModelHeader, column: str) -> list[str]:
    """The other identities that `column`'s expression names, in header order of the identities."""
    named = _names(header.virtual[column])
    return [v for v in header.virtual if v.lower() in named and v != column]


def _identity_cycle(header: ModelHeader) -> list[str] | None:
    """A loop of identities that use each other (first one repeated at the end), or None."""
    for start in header.virtual:
        if start.lower() in _names(header.virtual[start]):
            return [start, start]
        path, todo = [start], [iter(identity_uses(header, start))]
        while todo:
            following = next(todo[-1], None)
            if following is None:
                path.pop()
                todo.pop()
            elif following == start:
                return [*path, start]
            elif following not in path:
                path.append(following)
                todo.append(iter(identity_uses(header, following)))
    return None


def identity_order(header: ModelHeader) -> list[str]:
    """The header's identities, each after the identities its expression uses (the header has no loop)."""
    ordered: list[str] = []
    placing: set[str] = set()  # a loop (refused by header_problems) ends here instead of recursing forever

    def place(column: str) -> None:
        if column not in ordered and column not in placing:
            placing.add(column)
            for used in identity_uses(header, column):
                place(used)
            ordered.append(column)

    for column in header.virtual:
        place(column)
    return ordered
