"""Versioned SQL models run in DAG order (ARCHITECTURE §3).

`sql/models/<layer>/<name>_v<N>.sql` is one model and one table. Its header comment is the
contract (model, version, purpose, grain, typed columns); `ref('name')` names an upstream
model and resolves to the latest version. Jinja is rendered with StrictUndefined; the rendered
SQL of every model and its sha256 are kept in the run (`engine_models`).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.files import sql_dir

if TYPE_CHECKING:
    import duckdb

FILE_NAME = re.compile(r"^(?P<name>[a-z0-9_]+)_v(?P<version>\d+)\.sql$")
REF = re.compile(r"""ref\(\s*['"]([a-z0-9_]+)['"]\s*\)""")
HEADER_KEY = re.compile(r"^--\s*(model|version|purpose|grain|pipelines):\s*(.*)$")
COLUMN_LINE = re.compile(r"^--\s{2,}([a-z0-9_]+)\s+([A-Z]+(?:\(\d+,\s*\d+\))?)\s*(.*)$")


@dataclass
class ModelHeader:
    """The contract written at the top of a model file."""

    name: str
    version: int
    purpose: str = ""
    grain: list[str] = field(default_factory=list)
    pipelines: list[str] = field(default_factory=list)
    columns: list[tuple[str, str, str]] = field(default_factory=list)  # name, type, description


def parse_header(text: str, path: Path) -> ModelHeader:
    """Read the header comment block of a model file."""
    match = FILE_NAME.match(path.name)
    if match is None:
        raise RuntimeFailure(f"SQL model file name {path.name} is not <name>_v<N>.sql")
    header = ModelHeader(match["name"], int(match["version"]))
    in_columns = False
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        key = HEADER_KEY.match(line)
        if key:
            in_columns = False
            field_name, value = key.groups()
            if field_name == "grain":
                header.grain = [c.strip() for c in value.split(",") if c.strip()]
            elif field_name == "pipelines":
                header.pipelines = [c.strip() for c in value.split(",") if c.strip()]
            elif field_name == "purpose":
                header.purpose = value.strip()
            elif (
                field_name in ("model", "version")
                and str(getattr(header, "name" if field_name == "model" else "version")) != value.strip()
            ):
                raise RuntimeFailure(f"{path}: header {field_name} '{value.strip()}' disagrees with the file name")
            continue
        if re.match(r"^--\s*columns:\s*$", line):
            in_columns = True
            continue
        column = COLUMN_LINE.match(line)
        if in_columns and column:
            header.columns.append((column[1], column[2], column[3].strip()))
    return header


@dataclass
class Model:
    """One engine model: a SQL file, or a Python function with the same table contract."""

    name: str
    version: int
    deps: list[str]
    layer: str
    header: ModelHeader | None = None
    source: str = ""
    path: Path | None = None
    python: Callable[[duckdb.DuckDBPyConnection], int] | None = None
    fingerprint_source: str = ""
    pipelines: list[str] = field(default_factory=list)


def discover_models(root: Path | None = None) -> dict[str, Model]:
    """Latest version of every SQL model under sql/models, keyed by name."""
    base = (root or sql_dir()) / "models"
    latest: dict[str, Model] = {}
    for path in sorted(base.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        header = parse_header(text, path)
        model = Model(
            header.name,
            header.version,
            sorted(set(REF.findall(text))),
            path.parent.name,
            header,
            text,
            path,
            pipelines=header.pipelines,
        )
        current = latest.get(header.name)
        if current is None or current.version < header.version:
            latest[header.name] = model
    return latest


def order_models(models: dict[str, Model]) -> list[Model]:
    """Topological order; among ready models, layer then name (deterministic)."""
    done: set[str] = set()
    ordered: list[Model] = []
    pending = dict(models)
    while pending:
        ready = sorted(
            (m for m in pending.values() if all(d in done or d not in models for d in m.deps)),
            key=lambda m: (m.layer, m.name),
        )
        if not ready:
            raise RuntimeFailure(f"cycle among SQL models: {', '.join(sorted(pending))}")
        for model in ready:
            missing = [d for d in model.deps if d not in models]
            if missing:
                raise RuntimeFailure(f"model {model.name} refers to unknown model(s) {', '.join(missing)}")
            ordered.append(model)
            done.add(model.name)
            del pending[model.name]
    return ordered


@cache
def _environment() -> jinja2.Environment:
    """One Jinja environment for all SQL (StrictUndefined: a missing name is an error, never empty)."""
    return jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


@cache
def _template(text: str) -> jinja2.Template:
    """Compiled template of a SQL text (compiling the macros dominates rendering time)."""
    return _environment().from_string(text)


@cache
def _macros(root: Path) -> str:
    """The text of every macro file (read once per process)."""
    return "".join(p.read_text(encoding="utf-8") + "\n" for p in sorted((root / "macros").glob("*.sql")))


def render_text(text: str, variables: dict[str, Any], owner: str = "sql", root: Path | None = None) -> str:
    """Render SQL text with the macros, ref() and var() (StrictUndefined)."""

    def var(name: str) -> Any:
        if name not in variables:
            raise RuntimeFailure(f"{owner}: var('{name}') is not defined")
        return variables[name]

    template = _template(_macros(root or sql_dir()) + text)
    return template.render(ref=lambda name: name, var=var).lstrip("\n")


def render(model: Model, variables: dict[str, Any], root: Path | None = None) -> str:
    """The model's SQL with ref() and var() resolved."""
    return render_text(model.source, variables, f"model {model.name}", root)


@dataclass
class ModelRun:
    """What running one model produced (for events and run_summary)."""

    name: str
    version: int
    rows: int
    ms: int
    sha256: str
    rendered: str


def run_models(
    con: duckdb.DuckDBPyConnection,
    models: list[Model],
    variables: dict[str, Any],
    on_done: Callable[[ModelRun], None] | None = None,
) -> list[ModelRun]:
    """Create every model's table in order; keep rendered SQL in `engine_models`."""
    runs: list[ModelRun] = []
    for model in models:
        start = time.monotonic()
        if model.python is not None:
            rows = model.python(con)
            rendered, digest = model.fingerprint_source, hashlib.sha256(model.fingerprint_source.encode()).hexdigest()
        else:
            rendered = render(model, variables)
            digest = hashlib.sha256(rendered.encode("utf-8")).hexdigest()
            body = rendered.strip().rstrip(";")
            try:
                con.execute(f'CREATE OR REPLACE TABLE "{model.name}" AS {body}')
            except Exception as exc:  # a broken model is an engine bug: name it
                raise RuntimeFailure(f"SQL model {model.name} v{model.version} failed: {exc}") from exc
            rows = int(con.execute(f'SELECT count(*) FROM "{model.name}"').fetchall()[0][0])
        run = ModelRun(model.name, model.version, rows, int((time.monotonic() - start) * 1000), digest, rendered)
        runs.append(run)
        if on_done is not None:
            on_done(run)
    _record(con, runs)
    return runs


def _record(con: duckdb.DuckDBPyConnection, runs: list[ModelRun]) -> None:
    from d3_engine.core.db import create_table

    create_table(
        con,
        "engine_models",
        {"name": "VARCHAR", "version": "BIGINT", "sha256": "VARCHAR", "rows": "BIGINT", "rendered_sql": "VARCHAR"},
        {
            "name": [r.name for r in runs],
            "version": [r.version for r in runs],
            "sha256": [r.sha256 for r in runs],
            "rows": [r.rows for r in runs],
            "rendered_sql": [r.rendered for r in runs],
        },
    )
