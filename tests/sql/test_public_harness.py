"""Harness of the Public Tap SQL model tests, and the model contract tests [PUB-1]–[PUB-11].

The harness builds an in-memory DuckDB the way a run does (input tables, parameter tables, draws)
for the default parameter set of an inputs folder (`derived_checks.default_set_db`), lets a test
change rows of the input or parameter tables, and re-runs the models: given rows → expected rows.
The contract tests check every 30_public model header against DESCRIBE and its grain for uniqueness.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from d3_engine.checks.preflight import default_set_db, run_model_closure
from d3_engine.models.graph import discover_models
from d3_engine.models.render import model_variables
from d3_engine.pipeline.validation import validate_inputs
from d3_engine.plan.validate import Validated

if TYPE_CHECKING:
    import duckdb

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal_001"
SHIPPED = ROOT / "inputs"
PER_PATH = ("public_month", "public_capacity_path", "public_customers_path", "public_credit_packs", "public_stress")

_VALIDATED: dict[Path, Validated] = {}


def validated(inputs: Path = MINIMAL) -> Validated:
    """The validated bundle of an inputs folder (validated once per session)."""
    if inputs not in _VALIDATED:
        _VALIDATED[inputs] = validate_inputs(inputs)
    return _VALIDATED[inputs]


def build(targets: tuple[str, ...] = PER_PATH, inputs: Path = MINIMAL) -> duckdb.DuckDBPyConnection:
    """A DuckDB of the default parameter set of `inputs` (one path) with `targets` and their upstream built."""
    return default_set_db(validated(inputs), targets, with_noise=True)


def rerun(
    con: duckdb.DuckDBPyConnection, targets: tuple[str, ...] = PER_PATH, replicates: int = 1, inputs: Path = MINIMAL
) -> None:
    """Rebuild `targets` and their upstream models after the test changed input or parameter rows."""
    run_model_closure(con, targets, model_variables(validated(inputs), replicates=replicates, mc=1))


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """The rows of a query as dicts."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def expand_sets(con: duckdb.DuckDBPyConnection, overrides: list[dict[str, Any]]) -> None:
    """Turn the single default set into len(overrides) sets (replicates 0..K−1), one path each.

    Set k copies set 0 with `overrides[k]` applied to `params_public_tap`, and set 0's `params_general` row
    (the payment fee of public_month); path k gets set 0's draws. Re-run with `replicates=len(overrides)`
    so that param_set_id = replicate_index = path_id.
    """
    types = {r[0]: r[1] for r in con.execute("DESCRIBE params_public_tap").fetchall()}
    con.execute("CREATE OR REPLACE TEMP TABLE _base_params AS SELECT * FROM params_public_tap WHERE param_set_id = 0")
    con.execute("CREATE OR REPLACE TEMP TABLE _base_general AS SELECT * FROM params_general WHERE param_set_id = 0")
    con.execute("CREATE OR REPLACE TEMP TABLE _base_noise AS SELECT * FROM draw_public_noise WHERE path_id = 0")
    con.execute("DELETE FROM params_public_tap")
    con.execute("DELETE FROM params_general")
    con.execute("DELETE FROM draw_public_noise")
    for k, change in enumerate(overrides):
        con.execute(
            f"INSERT INTO params_general SELECT * REPLACE ({k} AS param_set_id, {k} AS replicate_index) "
            "FROM _base_general"
        )
        replaced = ", ".join(
            [f"{k} AS param_set_id", f"{k} AS replicate_index"] + [f'CAST(? AS {types[c]}) AS "{c}"' for c in change]
        )
        con.execute(
            f"INSERT INTO params_public_tap SELECT * REPLACE ({replaced}) FROM _base_params", list(change.values())
        )
        con.execute(
            f"INSERT INTO draw_public_noise SELECT * REPLACE ({k} AS path_id, {k} AS replicate_index) FROM _base_noise"
        )


def public_models() -> list[str]:
    """Names of the 30_public SQL models."""
    return sorted(n for n, m in discover_models().items() if m.layer == "30_public")


@pytest.fixture(scope="module")
def full_minimal(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """Every public SQL model built on minimal_001 with the Large model's traffic share set to 0, so that
    both the served (Small) and the idle (Large, public_idle_model) rows exist."""
    inputs = tmp_path_factory.mktemp("idle") / "minimal_001"
    shutil.copytree(MINIMAL, inputs)
    models = inputs / "operator" / "curated_public_tap_models.csv"
    text = models.read_text(encoding="utf-8")
    assert "org/large-30b,0.25" in text
    models.write_text(text.replace("org/large-30b,0.25", "org/large-30b,0"), encoding="utf-8")
    return build(tuple(public_models()), inputs)


def test_there_are_public_models_for_every_deliverable() -> None:
    expected = {
        "public_offer_eur", "public_vendor", "public_throughput", "public_unit_cost", "public_gpu_choice",
        "public_price", "public_stress", "public_admission", "public_demand", "public_model_month",
        "public_month", "public_horizon", "public_credit_packs", "public_customers_path", "public_capacity_path",
    }  # fmt: skip
    assert expected <= set(public_models())


@pytest.mark.parametrize("name", public_models())
def test_header_matches_describe_and_grain_is_unique(full_minimal: duckdb.DuckDBPyConnection, name: str) -> None:
    header = discover_models()[name].header
    assert header is not None and header.grain and header.columns
    assert header.pipelines == ["public"]
    assert "[PUB-" in header.purpose or "[OUT-" in header.purpose
    described = [(r[0], r[1]) for r in full_minimal.execute(f"DESCRIBE {name}").fetchall()]
    assert described == [(c.name, c.type) for c in header.columns]
    assert all(c.description and c.unit for c in header.columns)
    keys = ", ".join(header.grain)
    dupes = full_minimal.execute(f"SELECT {keys}, count(*) FROM {name} GROUP BY ALL HAVING count(*) > 1").fetchall()
    assert dupes == []
    assert full_minimal.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] > 0


def test_expand_sets_gives_one_path_per_set() -> None:
    con = build(("public_demand",))
    expand_sets(con, [{"budget_month0_eur": 100.0}, {"budget_month0_eur": 200.0}, {}])
    rerun(con, ("public_demand",), replicates=3)
    got = rows(con, "SELECT path_id, param_set_id, budget_eur FROM public_demand WHERE month = 1 ORDER BY path_id")
    assert got == [
        {"path_id": 0, "param_set_id": 0, "budget_eur": 100.0},
        {"path_id": 1, "param_set_id": 1, "budget_eur": 200.0},
        {"path_id": 2, "param_set_id": 2, "budget_eur": 1000.0},
    ]
