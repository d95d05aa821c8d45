"""consolidated_kpis: [OUT-5] rows and units, [GEN-5] aggregation per metric, [OUT-3] precision by unit, and
the exact ratio macro of `consolidated_path_kpis` ([GEN-4]).

Multi-path behaviour is tested on a synthetic four-path `consolidated_path_kpis` table, so that percentiles
interpolate: with n = 4, p10 → i = 0, r = 30; p50 → i = 1, r = 50; p90 → i = 2, r = 70.
"""

from __future__ import annotations

import random
import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import jinja2
import pytest

from d3_engine.core.files import sql_dir
from d3_engine.core.formats import percentile_exact, percentile_float
from d3_engine.export import consolidated as ec
from d3_engine.export.context import RunContext
from d3_engine.models import graph, runner

OUT_5 = [
    "revenue_public",
    "revenue_private",
    "revenue_total",
    "cogs_total",
    "gross_profit",
    "opex_total",
    "ebitda",
    "net_income",
    "overhead_public",
    "overhead_private",
    "contribution_public",
    "contribution_private",
    "gross_margin_pct",
    "public_gross_margin_pct",
    "cash_min",
    "cash_end",
    "funding_gap",
    "dscr_min",
    "icr_min",
    "dscr_ltm_end",
    "public_tokens",
    "public_active_customers_end",
    "blended_sell_eur_per_1k",
    "public_gpu_instance_hours",
    "private_hours",
    "private_active_clients_end",
    "support_fte_end",  # [FIN-1a]
    "reserve_cover_months_end",
    "autoscaling_avg_util_pct",
    "autoscaling_p95_util_pct",
    "autoscaling_sla_violations",
    "autoscaling_scale_events",
]
MODEL = sql_dir() / "models" / "60_consolidation" / "consolidated_path_kpis_v1.sql"


def test_metrics_are_out_5_in_order_with_their_units() -> None:
    assert [m for m, _ in ec.METRICS] == OUT_5 + NEW_ROWS  # [OUT-12]: the FIN-14 rows follow the [OUT-5] rows
    units = dict(ec.METRICS)
    eur = set(OUT_5[:12]) | {"cash_min", "cash_end", "funding_gap", "extra_funding_p90"}
    assert {m for m, u in units.items() if u == "EUR"} == eur
    assert [units[m] for m in NEW_ROWS] == ["ratio"] * 4 + ["months", "EUR"]
    assert [m for m in OUT_5 if units[m] == "percent"] == [
        "gross_margin_pct",
        "public_gross_margin_pct",
        "autoscaling_avg_util_pct",
        "autoscaling_p95_util_pct",
    ]
    assert [units[m] for m in OUT_5[17:28]] == [
        "ratio",
        "ratio",
        "ratio",
        "tokens",
        "count",
        "EUR_per_1k",
        "hours",
        "hours",
        "count",
        "count",
        "months",
    ]


def test_series_labels_follow_the_configured_percentiles() -> None:
    assert ec.series_labels([90, 10, 50]) == ["p10", "p50", "p90", "rep"]
    assert ec.series_labels([25, 50, 75]) == ["p25", "p50", "p75", "rep"]


# The exact_div macro ---------------------------------------------------------------------------------


def exact_div_sql(num: str, den: str, factor: int, places: int) -> str:
    macro = re.search(r"\{#- exact_div.*?\{%- endmacro %\}", MODEL.read_text("utf-8"), re.DOTALL)
    assert macro is not None
    template = macro.group(0) + f"SELECT {{{{ exact_div('n', 'd', {factor}, {places}) }}}} AS q"
    body = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(template).render()
    return f"WITH t AS (SELECT CAST('{num}' AS DECIMAL(18,6)) AS n, CAST('{den}' AS DECIMAL(18,6)) AS d) {body} FROM t"


def reference(num: str, den: str, factor: int, places: int) -> Decimal | None:
    """round_half_away(num·factor/den, places) in exact rational arithmetic."""
    if Decimal(den) == 0:
        return None
    q = Fraction(Decimal(num)) * factor / Fraction(Decimal(den)) * 10**places
    magnitude = (abs(q) + Fraction(1, 2)).__floor__()
    return Decimal(magnitude if q >= 0 else -magnitude).scaleb(-places)


@pytest.mark.parametrize(
    ("num", "den", "factor", "places", "expected"),
    [
        ("3492.910000", "11475.350000", 100, 4, "30.4384"),  # [EX-8] gross_margin_pct
        ("663.310000", "7061.750000", 100, 4, "9.3930"),  # [EX-8] public_gross_margin_pct
        ("8865.655500", "5608.920000", 1, 6, "1.580635"),  # [EX-8] reserve cover
        ("-8865.655500", "5608.920000", 1, 6, "-1.580635"),
        ("0.000001", "2", 1, 6, "0.000001"),  # a tie: half away from zero
        ("-0.000001", "2", 1, 6, "-0.000001"),
        ("0.000001", "3", 1, 6, "0.000000"),
        ("1", "0", 100, 4, None),  # zero denominator → null
        ("999999999999.999999", "0.000001", 1, 6, "999999999999999999.000000"),  # the widest DECIMAL(18,6)
    ],
)
def test_exact_div_examples(num: str, den: str, factor: int, places: int, expected: str | None) -> None:
    got = duckdb.connect().execute(exact_div_sql(num, den, factor, places)).fetchall()[0][0]
    assert got == (None if expected is None else Decimal(expected))
    assert got == reference(num, den, factor, places)


def test_exact_div_agrees_with_rational_arithmetic_on_random_amounts() -> None:
    rng = random.Random(2026)
    con = duckdb.connect()
    for _ in range(300):
        num = f"{rng.randint(-(10**17), 10**17) / 10**6:.6f}"
        den = f"{rng.randint(1, 10**15) / 10**6:.6f}"
        factor, places = rng.choice([(100, 4), (1, 6)])
        got = con.execute(exact_div_sql(num, den, factor, places)).fetchall()[0][0]
        assert got == reference(num, den, factor, places), (num, den)


# Aggregation across paths ----------------------------------------------------------------------------

PATHS = [
    # path_id, net_income (DECIMAL), gross_margin_pct (DECIMAL 4), public_tokens (DOUBLE), blended (DOUBLE, null)
    (0, "-10.000000", "12.5000", 100.0, 0.005),
    (1, "40.000001", "-3.0000", 0.1, None),
    (2, "20.000000", "7.2500", 2.5e9, 0.006),
    (3, "30.000000", None, 7.0, 0.001),
]


RISK = [  # path_id, breach_any, break_even_month (None = never within H), funding_gap
    (0, True, 1, "0"),
    (1, False, None, "100"),
    (2, True, 3, "50"),
    (3, False, None, "10"),
]
NEW_ROWS = ["p_breach_any", "p_cash_breach_any", "p_dscr_breach_any", "share_never_break_even", "break_even_month",
            "extra_funding_p90"]  # fmt: skip


def synthetic_ctx(
    tmp_path: Path, percentiles: list[int], rep_path: int = 2, pipelines: list[str] | None = None
) -> RunContext:
    """Four paths of consolidated_path_kpis and risk_path, then the `consolidated_kpis` model built on them."""
    pipelines = pipelines or ["private"]
    con = duckdb.connect()
    # money columns of consolidated_path_kpis end in _eur (the _eur rule); the metric keeps its [OUT-5] name
    columns = {
        f"{name}_eur" if unit == "EUR" else name: "DECIMAL(18,6)" if unit != "percent" else "DECIMAL(18,4)"
        for name, unit in ec.METRICS
    }
    for name in (
        "public_tokens",
        "public_active_customers_end",
        "blended_sell_eur_per_1k",
        "public_gpu_instance_hours",
        "private_hours",
        "private_active_clients_end",
    ):
        columns[name] = "DOUBLE"
    for name in [*ec.AUTOSCALING, *NEW_ROWS]:
        columns.pop(name, None)
        columns.pop(f"{name}_eur", None)
    columns.update({"cogs_public_eur": "DECIMAL(18,6)", "cogs_private_eur": "DECIMAL(18,6)"})
    ddl = ", ".join(f"{c} {t}" for c, t in columns.items())
    con.execute(f"CREATE TABLE consolidated_path_kpis (path_id BIGINT, param_set_id BIGINT, {ddl})")
    for path_id, net, margin, tokens, blended in PATHS:
        con.execute(
            "INSERT INTO consolidated_path_kpis (path_id, param_set_id, net_income_eur, gross_margin_pct, "
            "public_tokens, blended_sell_eur_per_1k) "
            "VALUES (?, ?, CAST(? AS DECIMAL(18,6)), CAST(? AS DECIMAL(18,4)), ?, ?)",
            [path_id, path_id, net, margin, tokens, blended],
        )
    con.execute(
        "CREATE TABLE risk_path (path_id BIGINT, grid_index BIGINT, first_breach_month BIGINT, breach_any BOOLEAN, "
        "cash_breach_any BOOLEAN, dscr_breach_any BOOLEAN, over_limit_any BOOLEAN, break_even_month BIGINT, "
        "funding_gap_eur DECIMAL(18,6))"
    )
    for path_id, breach, even, gap in RISK:
        con.execute(
            "INSERT INTO risk_path VALUES (?, 0, ?, ?, ?, false, false, ?, CAST(? AS DECIMAL(18,6)))",
            [path_id, 1 if breach else None, breach, breach, even, gap],
        )
    con.execute(f"CREATE TABLE representative_path AS SELECT {rep_path}::BIGINT AS path_id")
    con.execute(
        "CREATE TABLE public_autoscaling_summary AS SELECT 'ALL' AS model, 32.6744::DOUBLE AS avg_util_pct, "
        "CAST(NULL AS DOUBLE) AS p95_util_pct, 0::BIGINT AS sla_violations, 2::BIGINT AS scale_events"
    )
    variables = {"percentiles": percentiles, "pipelines": pipelines, "horizon_months": 3}
    model = graph.discover_models()["consolidated_kpis"]
    con.execute(f"CREATE TABLE consolidated_kpis AS {runner.render(model, variables).strip().rstrip(';')}")
    validated: Any = SimpleNamespace(simulation={"stochastic": {"percentiles": percentiles}}, pipelines=pipelines)
    return RunContext(con, tmp_path, validated)


def exact_float(value: float | None) -> Decimal | None:
    """A float as the decimal of its shortest text [GEN-4], as the model stores it."""
    return None if value is None else Decimal(repr(value))


def test_each_metric_is_aggregated_on_its_own_with_gen_5(tmp_path: Path) -> None:
    ctx = synthetic_ctx(tmp_path, [10, 50, 90])
    series = ec.kpi_series(ctx)
    nets = [Decimal(p[1]) for p in PATHS]
    for q in (10, 50, 90):
        assert series["net_income"][f"p{q}"] == percentile_exact(nets, q)
        margins = [Decimal(p[2]) if p[2] else None for p in PATHS]
        assert series["gross_margin_pct"][f"p{q}"] == percentile_exact(margins, q)  # the null drops out
        assert series["public_tokens"][f"p{q}"] == exact_float(percentile_float([p[3] for p in PATHS], q))
        blended = percentile_float([p[4] for p in PATHS], q)
        assert series["blended_sell_eur_per_1k"][f"p{q}"] == exact_float(blended)
    # Exact decimal: p10 of [−10, 20, 30, 40.000001] = −10 + 0.3·30 = −1; p90 = 30 + 0.7·10.000001 = 37.0000007
    assert series["net_income"]["p10"] == Decimal("-1")
    assert series["net_income"]["p90"] == Decimal("37.0000007")
    assert series["net_income"]["rep"] == Decimal("20.000000")
    assert series["blended_sell_eur_per_1k"]["rep"] == Decimal("0.006")


def test_csv_rounds_by_unit_and_has_one_column_per_percentile(tmp_path: Path) -> None:
    """Percentiles [25, 50, 75]: header p25,p50,p75,rep; EUR 2, percent 4, tokens 6 decimals; autoscaling
    rows empty when public did not run; nulls empty [OUT-3] [OUT-5]."""
    ctx = synthetic_ctx(tmp_path, [25, 50, 75])
    labels = ec.series_labels(ctx.percentiles)
    ec.write_kpis(ctx, labels)
    text = (tmp_path / "consolidated_kpis.csv").read_text(encoding="utf-8").splitlines()
    got = {line.split(",", 1)[0]: line for line in text}
    assert text[0] == "metric,unit,p25,p50,p75,rep"
    # net income: p25 = −10 + 0.75·30 = 12.5; p50 = 25; p75 = 30 + 0.25·10.000001 = 32.50000025 → 32.50
    assert got["net_income"] == "net_income,EUR,12.50,25.00,32.50,20.00"
    # margins [−3, 7.25, 12.5]: p25 = −3 + 0.5·10.25 = 2.125; p75 = 7.25 + 0.5·5.25 = 9.875
    assert got["gross_margin_pct"] == "gross_margin_pct,percent,2.1250,7.2500,9.8750,7.2500"
    assert got["public_tokens"].startswith("public_tokens,tokens,5.275000,53.500000,")
    assert got["revenue_total"] == "revenue_total,EUR,,,,"  # every path null in this table
    assert got["autoscaling_scale_events"] == "autoscaling_scale_events,count,,,,"
    assert [line.split(",", 1)[0] for line in text[1:]] == OUT_5 + NEW_ROWS
    stored = ctx.con.execute(
        "SELECT series, value FROM consolidated_kpis WHERE metric = 'net_income' AND series IN ('p25', 'rep') "
        "ORDER BY series_order"
    ).fetchall()
    assert stored == [("p25", Decimal("12.5")), ("rep", Decimal("20"))]


def test_fin_14_rows_shares_break_even_and_extra_funding(tmp_path: Path) -> None:
    """[OUT-12]/[V12-3]: k/N shares in every percentile column (rep = the rep path's 0/1); break_even_month with
    never = +∞ (p10 of [1, 3, ∞, ∞] = 1 + 0.3·2 = 1.6 → 2; p50, p90 land on ∞ → empty; rep path 2 → 3);
    extra_funding_p90 = p90 of [0, 10, 50, 100] = 50 + 0.7·50 = 85 in every column."""
    ctx = synthetic_ctx(tmp_path, [10, 50, 90])
    ec.write_kpis(ctx, ec.series_labels(ctx.percentiles))
    text = (tmp_path / "consolidated_kpis.csv").read_text(encoding="utf-8").splitlines()
    assert text[-6:] == [
        "p_breach_any,ratio,0.5000,0.5000,0.5000,1.0000",
        "p_cash_breach_any,ratio,0.5000,0.5000,0.5000,1.0000",
        "p_dscr_breach_any,ratio,0.0000,0.0000,0.0000,0.0000",
        "share_never_break_even,ratio,0.5000,0.5000,0.5000,0.0000",
        "break_even_month,months,2,,,3",
        "extra_funding_p90,EUR,85.00,85.00,85.00,85.00",
    ]


def test_autoscaling_rows_take_the_all_row_in_rep_only(tmp_path: Path) -> None:
    ctx = synthetic_ctx(tmp_path, [10, 50, 90], pipelines=["public", "private"])
    series = ec.kpi_series(ctx)
    assert series["autoscaling_avg_util_pct"] == {"p10": None, "p50": None, "p90": None, "rep": Decimal("32.6744")}
    assert series["autoscaling_p95_util_pct"]["rep"] is None
    assert series["autoscaling_scale_events"] == {"p10": None, "p50": None, "p90": None, "rep": Decimal(2)}
    assert ec.autoscaling_rep(series) == {
        "avg_util_pct": Decimal("32.6744"),
        "p95_util_pct": None,
        "sla_violations": 0,
        "scale_events": 2,
    }


def test_floats_become_the_decimal_of_their_shortest_text(tmp_path: Path) -> None:
    """2.675 is stored as 2.675, not as its binary value 2.67499999… [GEN-4]."""
    ctx = synthetic_ctx(tmp_path, [10, 50, 90])
    ctx.con.execute("UPDATE consolidated_path_kpis SET blended_sell_eur_per_1k = 2.675 WHERE path_id = 2")
    model = graph.discover_models()["consolidated_kpis"]
    variables = {"percentiles": [10, 50, 90], "pipelines": ["private"], "horizon_months": 3}
    ctx.con.execute(
        f"CREATE OR REPLACE TABLE consolidated_kpis AS {runner.render(model, variables).strip().rstrip(';')}"
    )
    assert ec.kpi_series(ctx)["blended_sell_eur_per_1k"]["rep"] == Decimal("2.675")
