"""Steps of specs/features/consolidation.feature [FIN-1]…[FIN-12] [ACC-A10] [EX-8].

The finance models run through d3_engine.models on a copy of the golden fixture's run.duckdb whose tap
tables are given rows (the databases of tests/sql/test_finance_fixture and test_finance_paths).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "sql"))  # the finance database builders live beside the SQL tests

from test_finance_fixture import BOTH, ex8_connection  # noqa: E402
from test_finance_paths import stress_connection  # noqa: E402

scenarios("consolidation.feature")


@pytest.fixture(scope="module")
def fixture_run(minimal_run: Path) -> Path:
    """The golden fixture run once by the real CLI (its params and inputs tables): the session's cached run,
    read only (the steps copy its run.duckdb before building on it)."""
    return minimal_run


@given("the golden fixture with the worked example's tap months", target_fixture="plan")
def golden_plan() -> dict[str, Any]:
    return {"kind": "ex8", "pipelines": list(BOTH)}


@given(parsers.parse("the stress plan of 8 paths over 27 months"), target_fixture="plan")
def stress_plan() -> dict[str, Any]:
    return {"kind": "stress", "pipelines": list(BOTH)}


@given(parsers.parse("only the {tap} tap runs"))
def only_tap(plan: dict[str, Any], tap: str) -> None:
    plan["pipelines"] = [tap]


@when("the finance models run", target_fixture="finance_db")
def run_models(plan: dict[str, Any], fixture_run: Path, tmp_path: Path) -> Path:
    database = tmp_path / "run.duckdb"
    if plan["kind"] == "ex8":
        ex8_connection(fixture_run, database, plan["pipelines"]).close()
    else:
        stress_connection(fixture_run, database, plan["pipelines"], "revenue").close()
    return database


@pytest.fixture
def con(finance_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database the When step built, read only, closed when the scenario ends. (A connection injected by
    pytest-bdd as a step's target fixture lives until the interpreter exits, where DuckDB's bindings report it
    and their whole module as leaked on stderr.)"""
    connection = duckdb.connect(str(finance_db), read_only=True)
    yield connection
    connection.close()


@then("path 0 has")
def path_has(con: duckdb.DuckDBPyConnection, datatable: list[list[str]]) -> None:
    header, *rows = datatable
    for row in rows:
        expected = dict(zip(header, row, strict=True))
        got = con.execute(
            f"SELECT {', '.join(header[1:])} FROM finance_month WHERE path_id = 0 AND month = ?", [int(row[0])]
        ).fetchall()[0]
        assert list(got) == [Decimal(expected[c]) for c in header[1:]], expected["month"]


@then("balance_check is 0 on every path and month")
def balance_check_zero(con: duckdb.DuckDBPyConnection) -> None:
    total, bad = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE balance_check_eur <> 0) FROM finance_month"
    ).fetchall()[0]
    assert total > 0 and bad == 0


@then("every month closes its cash as opening cash plus net cash flow")
def cash_rolls_forward(con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute("""
        SELECT f.path_id, f.month FROM finance_month AS f
        LEFT JOIN finance_month AS prev ON prev.path_id = f.path_id AND prev.month = f.month - 1
        WHERE f.cash_closing_eur <> f.cash_opening_eur + f.net_cash_flow_eur
           OR (f.month > 1 AND f.cash_opening_eur <> prev.cash_closing_eur)
    """).fetchall()
    assert bad == []


@then("month 1 opens with the loan plus the equity injection")
def opening_cash(con: duckdb.DuckDBPyConnection) -> None:
    bad = con.execute("""
        SELECT f.path_id FROM finance_month AS f JOIN params_general AS g USING (param_set_id)
        WHERE f.month = 1 AND f.cash_opening_eur <> CAST(CAST(g.loan_amount_eur + g.equity_injection_eur AS VARCHAR)
                                                         AS DECIMAL(18,6))
    """).fetchall()
    assert bad == []


@then("the full loan schedule of every parameter set repays exactly its amount")
def loan_repaid(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute("""
        SELECT g.param_set_id, CAST(CAST(g.loan_amount_eur AS VARCHAR) AS DECIMAL(18,6)),
               coalesce(sum(l.principal_eur), 0), count(l.month), any_value(g.term_months)
        FROM params_general AS g LEFT JOIN loan_schedule AS l USING (param_set_id)
        GROUP BY g.param_set_id, g.loan_amount_eur
    """).fetchall()
    assert got and all(amount == repaid for _, amount, repaid, _, _ in got)
    assert all(months == (term if amount > 0 else 0) for _, amount, _, months, term in got)


@then("each asset's full depreciation schedule sums to its amount")
def assets_depreciated(con: duckdb.DuckDBPyConnection) -> None:
    got = con.execute("""
        SELECT a.name, CAST(CAST(a.amount_eur AS VARCHAR) AS DECIMAL(18,6)), sum(s.depreciation_eur)
        FROM input_assets AS a JOIN asset_schedule AS s ON s.asset = a.name GROUP BY ALL
    """).fetchall()
    assert got and all(amount == depreciated for _, amount, depreciated in got)


@then(parsers.parse("the {tap} tap carries the whole overhead of {overhead} every month"))
def whole_overhead(con: duckdb.DuckDBPyConnection, tap: str, overhead: str) -> None:
    got = con.execute(f"SELECT DISTINCT overhead_eur, overhead_{tap}_eur FROM segment_month").fetchall()
    assert got == [(Decimal(overhead), Decimal(overhead))]


@then(parsers.parse("the {other} tap contributes nothing"))
def contributes_nothing(con: duckdb.DuckDBPyConnection, other: str) -> None:
    got = con.execute(f"""
        SELECT DISTINCT revenue_{other}_eur, cogs_{other}_eur, acquisition_{other}_eur, overhead_{other}_eur,
               contribution_{other}_eur
        FROM segment_month
    """).fetchall()
    assert got == [(Decimal(0),) * 5]
