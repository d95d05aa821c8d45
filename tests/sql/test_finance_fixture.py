"""The finance test databases and the runner of the finance models [FIN-1]–[FIN-12].

The finance models are tested in isolation from the taps: a copy of the golden fixture's run.duckdb
(params and inputs of [EX-1]) gets `public_month` / `private_month` rows written here, then the
finance models (the SQL files of 50_finance, representative_path and the two exact Python models of
`d3_engine.models.python.loan`) run through `d3_engine.models.runner` exactly as `d3 run` runs them. Other finance test
modules import these helpers; the tests below pin the synthetic tap rows to [EX-5] and [EX-6].
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from harness import plain_tables

from d3_engine.models import graph, runner
from d3_engine.models.python import finance_cash, loan
from d3_engine.models.python.registry import all_models
from d3_engine.models.python.series import FINANCE_FILES

PUBLIC_COLUMNS = {
    "path_id": "BIGINT",
    "param_set_id": "BIGINT",
    "month": "BIGINT",
    "budget_eur": "DOUBLE",
    "acquisition_public_eur": "DECIMAL(18,6)",
    "tokens": "DOUBLE",
    "usage_revenue_eur": "DECIMAL(18,6)",
    "credits_sold_eur": "DECIMAL(18,6)",
    "breakage_eur": "DECIMAL(18,6)",
    "revenue_public_eur": "DECIMAL(18,6)",
    "credit_balance_eur": "DECIMAL(18,6)",
    "gpu_cost_eur": "DECIMAL(18,6)",
    "cogs_public_eur": "DECIMAL(18,6)",
    "instance_hours": "DOUBLE",
    "active_customers": "DOUBLE",
    "payment_fee_eur": "DECIMAL(18,6)",
}
PRIVATE_COLUMNS = {
    "path_id": "BIGINT",
    "param_set_id": "BIGINT",
    "month": "BIGINT",
    "budget_eur": "DOUBLE",
    "acquisition_private_eur": "DECIMAL(18,6)",
    "hours": "DOUBLE",
    "revenue_hours_eur": "DECIMAL(18,6)",
    "revenue_fees_eur": "DECIMAL(18,6)",
    "revenue_private_eur": "DECIMAL(18,6)",
    "cogs_private_eur": "DECIMAL(18,6)",
    "active_clients": "DOUBLE",
    "payment_fee_eur": "DECIMAL(18,6)",
}

# [EX-5] per month: budget, tokens, usage revenue (= credits sold = revenue, no breakage), GPU cost, COGS,
# instance-hours (Small 1/1/2 + Large 1/1/1 instances × 720 h), active customers.
EX5 = [
    (1, 1000.0, 1.00e9, "1175.00", "1203.84", "1905.76", 1440.0, 20.0),
    (2, 1100.0, 2.00e9, "2350.00", "1203.84", "2005.76", 1440.0, 40.0),
    (3, 1210.0, 3.01e9, "3536.75", "1457.28", "2486.92", 2160.0, 60.2),
]
# [EX-6] per month: hours, revenue hours, fees, COGS, active clients; budget 600 every month.
EX6 = [
    (1, 300.0, "435.60", "300", "264.00", 3.0),
    (2, 600.0, "871.20", "600", "528.00", 6.0),
    (3, 900.0, "1306.80", "900", "792.00", 9.0),
]
BOTH = ["public", "private"]


def ex5_public_rows(path_id: int = 0) -> list[dict[str, Any]]:
    """The [EX-5] public months of one path as public_month rows."""
    return [
        {
            "path_id": path_id,
            "param_set_id": 0,
            "month": t,
            "budget_eur": budget,
            "acquisition_public_eur": Decimal(repr(budget)),
            "tokens": tokens,
            "usage_revenue_eur": Decimal(revenue),
            "credits_sold_eur": Decimal(revenue),
            "breakage_eur": Decimal(0),
            "revenue_public_eur": Decimal(revenue),
            "credit_balance_eur": Decimal(0),
            "gpu_cost_eur": Decimal(gpu),
            "cogs_public_eur": Decimal(cogs_eur),
            "instance_hours": hours,
            "active_customers": active,
            "payment_fee_eur": Decimal(0),  # minimal_001 sets no payment_fee_pct [FIN-1a]
        }
        for t, budget, tokens, revenue, gpu, cogs_eur, hours, active in EX5
    ]


def ex6_private_rows(path_id: int = 0) -> list[dict[str, Any]]:
    """The [EX-6] private months of one path as private_month rows."""
    return [
        {
            "path_id": path_id,
            "param_set_id": 0,
            "month": t,
            "budget_eur": 600.0,
            "acquisition_private_eur": Decimal(600),
            "hours": hours,
            "revenue_hours_eur": Decimal(rev_hours),
            "revenue_fees_eur": Decimal(fees),
            "revenue_private_eur": Decimal(rev_hours) + Decimal(fees),
            "cogs_private_eur": Decimal(cogs_eur),
            "active_clients": active,
            "payment_fee_eur": Decimal(0),
        }
        for t, hours, rev_hours, fees, cogs_eur, active in EX6
    ]


def write_rows(
    con: duckdb.DuckDBPyConnection, table: str, schema: dict[str, str], rows: Sequence[dict[str, Any]]
) -> None:
    """Replace `table` with `rows` (DECIMAL values go in through their exact text)."""
    con.execute(f'CREATE OR REPLACE TABLE "{table}" ({", ".join(f"{c} {t}" for c, t in schema.items())})')
    if rows:
        marks = ", ".join(f"CAST(? AS {t})" for t in schema.values())
        con.executemany(
            f'INSERT INTO "{table}" VALUES ({marks})',
            [[str(r[c]) if isinstance(r[c], Decimal) else r[c] for c in schema] for r in rows],
        )


def finance_models() -> list[graph.Model]:
    """The finance engine models in DAG order, with the series models of the monthly files; tap tables are given
    rows, so their refs are dropped."""
    models = {
        name: m
        for name, m in graph.discover_models().items()
        if m.layer == "50_finance" or name == "representative_path"
    }
    registry = all_models()
    for python_model in (loan.model(), loan.cpi_model(), finance_cash.model(), *(registry[n] for n in FINANCE_FILES)):
        models[python_model.name] = python_model
    for model in models.values():
        model.deps = [d for d in model.deps if d in models]
    return graph.order_models(models)


def model_vars(horizon: int = 3, replicates: int = 1, mc: int = 1, pipelines: Sequence[str] = BOTH) -> dict[str, Any]:
    """The var() values `d3 run` hands to the models."""
    return {
        "horizon_months": horizon,
        "replicates": replicates,
        "mc": mc,
        "fx": 1.25,
        "pipelines": list(pipelines),
        "percentiles": [10, 50, 90],
    }


def run_finance(con: duckdb.DuckDBPyConnection, variables: dict[str, Any]) -> list[runner.ModelRun]:
    """Build every finance table in `con`."""
    return runner.run_models(con, finance_models(), variables)


def copy_run_db(run_dir: Path, target: Path) -> duckdb.DuckDBPyConnection:
    """A writable copy of a published run's run.duckdb (its views of identities as plain tables, harness)."""
    shutil.copyfile(run_dir / "run.duckdb", target)
    con = duckdb.connect(str(target))
    plain_tables(con)
    return con


def ex8_connection(run_dir: Path, target: Path, pipelines: Sequence[str] = BOTH) -> duckdb.DuckDBPyConnection:
    """The golden fixture's database with the [EX-5]/[EX-6] tap months and the finance tables built."""
    con = copy_run_db(run_dir, target)
    write_rows(con, "public_month", PUBLIC_COLUMNS, ex5_public_rows() if "public" in pipelines else [])
    write_rows(con, "private_month", PRIVATE_COLUMNS, ex6_private_rows() if "private" in pipelines else [])
    if "public" not in pipelines:
        con.execute("DROP TABLE public_month")
    if "private" not in pipelines:
        con.execute("DROP TABLE private_month")
    run_finance(con, model_vars(pipelines=pipelines))
    return con


def rows_as_dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    """Every row of a query as a column → value dict."""
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module", name="ex8_con")
def ex8_con_fixture(minimal_run: Path, tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """`ex8_con`: the [EX-8] database, built once per module that imports `ex8_con_fixture`."""
    return ex8_connection(minimal_run, tmp_path_factory.mktemp("ex8") / "run.duckdb")


def test_synthetic_public_months_tie_out_to_ex5(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """[EX-5] horizon totals: revenue 7061.75, COGS 6398.44, 5040 instance-hours; [EX-8] acquisition 3310."""
    got = ex8_con.execute(
        "SELECT sum(revenue_public_eur), sum(cogs_public_eur), sum(instance_hours), sum(acquisition_public_eur) "
        "FROM public_month"
    ).fetchall()[0]
    assert got == (Decimal("7061.75"), Decimal("6398.44"), 5040.0, Decimal("3310"))


def test_synthetic_private_months_tie_out_to_ex6(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """[EX-6] revenue 735.60 / 1471.20 / 2206.80 and COGS 264 / 528 / 792."""
    got = ex8_con.execute("SELECT revenue_private_eur, cogs_private_eur FROM private_month ORDER BY month").fetchall()
    assert got == [
        (Decimal("735.60"), Decimal("264.00")),
        (Decimal("1471.20"), Decimal("528.00")),
        (Decimal("2206.80"), Decimal("792.00")),
    ]


def test_every_finance_model_ran(ex8_con: duckdb.DuckDBPyConnection) -> None:
    """The DAG builds each finance table once, Python models included, in ref() order."""
    names = [r[0] for r in ex8_con.execute("SELECT name FROM engine_models").fetchall()]
    assert set(names) >= {
        "paths",
        "asset_schedule",
        "finance_params",
        "fixed_cost_indexed",
        "loan_schedule",
        "finance_fixed_month",
        "finance_pnl",
        "finance_operating_cash",
        "finance_cash",
        "finance_vat",
        "finance_month",
        "segment_month",
        "finance_path_kpis",
        "representative_path",
        *FINANCE_FILES,
    }
    assert all(names.index("representative_path") < names.index(n) for n in FINANCE_FILES)
    assert names.index("loan_schedule") < names.index("finance_fixed_month") < names.index("finance_month")
    assert names.index("finance_operating_cash") < names.index("finance_cash") < names.index("finance_month")
    assert names.index("finance_path_kpis") < names.index("representative_path")
