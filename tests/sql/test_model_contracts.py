"""Every engine model honours its header: columns and types as built, and a unique grain (ARCHITECTURE §3)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from d3_engine.models.graph import discover_models
from d3_engine.models.header import parse_sql_header
from d3_engine.pipeline.run import engine_models

MODELS = discover_models()


def _describe(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f'DESCRIBE "{table}"').fetchall()]


@pytest.mark.parametrize("run_name", ["minimal_run", "shipped_run", "shipped_small_run"])
def test_every_built_model_matches_its_header(run_name: str, request: pytest.FixtureRequest) -> None:
    run_dir: Path = request.getfixturevalue(run_name)
    con = duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)
    built = {r[0] for r in con.execute("SELECT name FROM engine_models").fetchall()}
    checked = 0
    for name, model in MODELS.items():
        if name not in built:
            continue
        assert model.header is not None
        declared = [(c.name, c.type) for c in model.header.columns]
        assert _describe(con, name) == declared, f"{name}: header columns differ from the built table"
        grain = ", ".join(f'"{g}"' for g in model.header.grain)
        dupes = con.execute(f'SELECT count(*) FROM (SELECT {grain} FROM "{name}" GROUP BY ALL HAVING count(*) > 1)')
        assert dupes.fetchall()[0][0] == 0, f"{name}: grain ({grain}) is not unique"
        checked += 1
    assert checked >= 1


def test_every_model_has_purpose_grain_and_columns() -> None:
    for name, model in MODELS.items():
        assert model.header is not None and model.path is not None
        header = parse_sql_header(model.path.read_text(encoding="utf-8"), model.path.name, str(model.path))
        assert header.purpose, f"{name}: header lacks a purpose"
        assert header.grain, f"{name}: header lacks a grain"
        assert header.columns, f"{name}: header lacks columns"
        assert set(header.grain) <= {c.name for c in header.columns}, f"{name}: grain columns not declared"


def test_models_order_respects_refs() -> None:
    ordered = [m.name for m in engine_models(["public", "private"])]
    for model in MODELS.values():
        for dep in model.deps:
            assert ordered.index(dep) < ordered.index(model.name)
