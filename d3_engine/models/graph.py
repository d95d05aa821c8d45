"""The model DAG: discover the models, refuse unknown names, order them by their `ref()`s.

`sql/models/<layer>/<name>_v<N>.sql` is one model and one table (the highest N runs); a Python
model (`models/python/`) declares the tables it writes with the same header text. `check_references`
runs before anything is built: an unknown `ref('x')` or `var('x')` or a broken header stops the run
with the nearest known name.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.files import sql_dir
from d3_engine.models.header import ModelHeader, header_problems, parse_sql_header
from d3_engine.models.render import VARIABLE_NAMES, refs_of, vars_of

if TYPE_CHECKING:
    import duckdb


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
    python_tables: list[ModelHeader] = field(default_factory=list)  # what a Python model writes

    @property
    def tables(self) -> list[ModelHeader]:
        """The header of every table the model builds (one for a SQL model)."""
        if self.python is not None:
            return list(self.python_tables)
        return [self.header] if self.header is not None else []


def discover_models(root: Path | None = None) -> dict[str, Model]:
    """Latest version of every SQL model under sql/models, keyed by name: copies a caller may change, lists included
    (`deps`, `pipelines`); the `ModelHeader`s are shared, and nothing changes a header once it is parsed.

    The files are read every time and parsed only when their text differs from the last tree read (parsing the ~60
    headers takes ~10 ms; a run discovers the models several times: its validation, the reuse check, the run)."""
    base = (root or sql_dir()) / "models"
    texts = tuple((path, path.read_text(encoding="utf-8")) for path in sorted(base.rglob("*.sql")))
    key = (base, texts)
    with _DISCOVERED_LOCK:
        if key not in _DISCOVERED:
            _DISCOVERED.clear()  # one tree at a time (the engine's; a test's edited copy replaces it)
            _DISCOVERED[key] = _parse_models(base, texts)
        latest = _DISCOVERED[key]
    return {
        name: replace(m, deps=list(m.deps), pipelines=list(m.pipelines), python_tables=list(m.python_tables))
        for name, m in latest.items()
    }


_DISCOVERED: dict[tuple[Path, tuple[tuple[Path, str], ...]], dict[str, Model]] = {}
_DISCOVERED_LOCK = threading.Lock()


def _parse_models(base: Path, texts: tuple[tuple[Path, str], ...]) -> dict[str, Model]:
    latest: dict[str, Model] = {}
    for path, text in texts:
        header = parse_sql_header(text, path.name, str(path.relative_to(base.parent)))
        model = Model(
            header.name, header.version, refs_of(text), path.parent.name, header, text, path, pipelines=header.pipelines
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


def nearest(name: str, known: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest known name, or ''."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_references(models: dict[str, Model], other_sql: dict[str, str] | None = None) -> None:
    """Refuse, before anything runs, an unknown ref() or var() and any header that breaks the rules.

    Args:
        models: every known model (all pipelines: a ref() inside an `{% if %}` of an unselected tap
            is still a known name).
        other_sql: more SQL texts rendered later in the run (the acceptance checks), by owner.

    Raises:
        RuntimeFailure: listing every problem, each with the nearest known name.
    """
    tables = {t.name for m in models.values() for t in m.tables} | set(models)
    problems: list[str] = []
    texts = {_owner(m): m.source for m in models.values() if m.source}
    texts.update(other_sql or {})
    for owner, text in texts.items():
        problems += [f"{owner}: unknown ref('{r}'){nearest(r, tables)}" for r in refs_of(text) if r not in tables]
        problems += [
            f"{owner}: unknown var('{v}'){nearest(v, VARIABLE_NAMES)}" for v in vars_of(text) if v not in VARIABLE_NAMES
        ]
    for model in models.values():
        for header in model.tables:
            problems += [f"{header.owner or _owner(model)}: {p}" for p in header_problems(header)]
        if model.python is not None and not model.python_tables:
            problems.append(f"{_owner(model)}: a Python model declares no table header")
    if problems:
        raise RuntimeFailure(
            "the model DAG cannot run:\n  "
            + "\n  ".join(problems)
            + "\nTo fix this, correct the names above in the model files (ref() names a model, var() one of "
            + ", ".join(VARIABLE_NAMES)
            + ")."
        )


def _owner(model: Model) -> str:
    return str(model.path) if model.path is not None else f"python model {model.name}"
