"""Per-path what-if KPIs and their percentiles per (scenario, grid point): the numbers of grid_kpis.csv and
stress_tests.csv ([OUT-12], [OUT-13], [V12-3], [V12-7]).

`scenario_path_kpis` holds one row per (scenario, path): scenario 0 is the base run, 1 … S the stresses of
[IN-21] in input order, each computed on the same random numbers. Its columns are the per-path KPIs of
[FIN-9]/[FIN-14]: funding_gap_eur, net_income_h_eur, cash_min_eur, dscr_ltm_test_min, breach_any,
break_even_month (money columns end in `_eur` like every run.duckdb table; the metric names of the
artefacts drop the suffix, `kpi_column`).
The [FIN-14] rules exist once, in the lender's models: breach_any, break_even_month and funding_gap_eur are
read from `risk_path`, net income and the lowest cash from `consolidated_path_kpis`, dscr_ltm_test_min from
`finance_path_kpis`; so the base rows equal consolidated_kpis and p_breach_any per grid point is the count
of [ACC-A13] (breach_verdict). Percentiles follow [GEN-5] exactly (the `pctl` macro); a share
is k/N with 4 decimals; break_even_month counts a path that never breaks even as +∞ and a percentile landing
there is empty ([FIN-14]).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import comment_on, sql_literal
from d3_engine.core.formats import round_half_away
from d3_engine.models.render import render_text

if TYPE_CHECKING:
    import duckdb

#: Metrics of grid_kpis.csv and stress_tests.csv in their order, with their unit ([OUT-12]).
METRICS: tuple[tuple[str, str], ...] = (
    ("funding_gap", "EUR"),
    ("net_income_h", "EUR"),
    ("cash_min", "EUR"),
    ("dscr_ltm_test_min", "ratio"),
    ("p_breach_any", "ratio"),
    ("break_even_month", "months"),
)
PERCENTILES = (10, 50, 90)  # always p10, p50, p90 in §11 artefacts
NEVER = 1_000_000_000  # break_even_month of a path that never breaks even: +∞ for the order statistics
TABLE = "scenario_path_kpis"


def kpi_column(metric: str, unit: str) -> str:
    """The column of `scenario_path_kpis` that holds a metric: money columns end in `_eur` ([V12-2])."""
    return f"{metric}_eur" if unit == "EUR" else metric


def path_kpis_sql(scenario: int) -> str:
    """SELECT of the per-path KPIs of the run, tagged with `scenario`, ordered by path_id.

    The [FIN-14] figures (breach_any, break_even_month, funding_gap_eur) come from the lender's `risk_path`,
    net income and the lowest cash from `consolidated_path_kpis` (what consolidated_kpis aggregates), the LTM
    DSCR from the test month on from `finance_path_kpis`: the what-if rows of the base equal consolidated_kpis.
    """
    return f"""SELECT CAST({scenario} AS BIGINT) AS scenario, r.path_id, r.grid_index,
        r.funding_gap_eur, c.net_income_eur AS net_income_h_eur, c.cash_min_eur, k.dscr_ltm_test_min,
        r.breach_any, r.break_even_month
        FROM risk_path AS r
        JOIN consolidated_path_kpis AS c USING (path_id)
        JOIN finance_path_kpis AS k USING (path_id)
        ORDER BY r.path_id"""


PATH_KPI_COLUMNS = {
    "scenario": "0 = the base run, s = stress test s in input order [IN-21] [unit: id]",
    "path_id": "path [GEN-2] [unit: id]",
    "grid_index": "grid point [unit: id]",
    "funding_gap_eur": "max(0, −cash_min_eur) [FIN-9] [unit: EUR]",
    "net_income_h_eur": "Σ_t net income over the horizon [FIN-12] [unit: EUR]",
    "cash_min_eur": "min_t closing cash [FIN-9] [unit: EUR]",
    "dscr_ltm_test_min": "minimum LTM DSCR from the test month on [FIN-9] [unit: ratio]",
    "breach_any": "a cash or DSCR breach in some month [FIN-14] [unit: flag]",
    "break_even_month": "first month from which EBITDA stays ≥ 0, null if none [FIN-14] [unit: month]",
}


def create_path_kpis(con: duckdb.DuckDBPyConnection, scenario: int) -> None:
    """Create `scenario_path_kpis` in `con` with the rows of its own run as `scenario`."""
    con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {path_kpis_sql(scenario)}")
    comment_on(con, TABLE, "per-path what-if KPIs of the base and every stress test [OUT-13] [V12-7]", PATH_KPI_COLUMNS)


def append_scenario(con: duckdb.DuckDBPyConnection, other_db: str) -> None:
    """Append the `scenario_path_kpis` rows of a stress run's database file to the base's table."""
    con.execute(f"ATTACH {sql_literal(other_db)} AS stress_run (READ_ONLY)")
    try:
        con.execute(f"INSERT INTO {TABLE} SELECT * FROM stress_run.{TABLE} ORDER BY path_id")
    finally:
        con.execute("DETACH stress_run")


def _quantiles(con: duckdb.DuckDBPyConnection, value: str) -> dict[tuple[int, int], dict[int, Any]]:
    """(scenario, grid_index) → {p: value} of one per-path expression ([GEN-5])."""
    sql = render_text(
        "{{ pctl('" + TABLE + "', ['scenario', 'grid_index'], '" + value + "', " + str(list(PERCENTILES)) + ") }}",
        {},
        "what-if KPIs",
    )
    out: dict[tuple[int, int], dict[int, Any]] = {}
    for scenario, grid_index, p, result in con.execute(sql).fetchall():
        out.setdefault((int(scenario), int(grid_index)), {})[int(p)] = result
    return out


def _shares(con: duckdb.DuckDBPyConnection) -> dict[tuple[int, int], Decimal]:
    """k/N of paths with a breach per (scenario, grid point), exact, 4 decimals ([FIN-14])."""
    rows = con.execute(
        f"SELECT scenario, grid_index, count(*) FILTER (WHERE breach_any), count(*) FROM {TABLE} GROUP BY ALL"
    ).fetchall()
    return {(int(s), int(g)): round_half_away(Decimal(k) / Decimal(n), 4) for s, g, k, n in rows}


def kpi_table(con: duckdb.DuckDBPyConnection, horizon: int) -> list[tuple[int, int, str, str, list[Any]]]:
    """(scenario, grid_index, metric, unit, [p10, p50, p90]) sorted by scenario, grid point, metric order."""
    per_metric: dict[str, dict[tuple[int, int], dict[int, Any]]] = {
        metric: _quantiles(con, kpi_column(metric, unit))
        for metric, unit in METRICS
        if metric not in ("p_breach_any", "break_even_month")
    }
    per_metric["break_even_month"] = _quantiles(con, f"coalesce(break_even_month, {NEVER})")
    shares = _shares(con)
    rows: list[tuple[int, int, str, str, list[Any]]] = []
    for key in sorted(shares):
        for metric, unit in METRICS:
            if metric == "p_breach_any":
                values: list[Any] = [shares[key]] * len(PERCENTILES)
            else:
                got = per_metric[metric].get(key, {})
                values = [got.get(p) for p in PERCENTILES]
            if metric == "break_even_month":
                values = [None if v is None or v > horizon else v for v in values]
            rows.append((key[0], key[1], metric, unit, values))
    return rows


def places_for_metric(metric: str, unit: str) -> int | None:
    """[V12-3]: p_* and share_* → 4 decimals; break_even_month → integer; else by unit ([OUT-3])."""
    if metric.startswith(("p_", "share_")):
        return 4
    if metric == "break_even_month":
        return None
    return {"EUR": 2, "percent": 4}.get(unit, 6)


__all__ = ["METRICS", "TABLE", "append_scenario", "create_path_kpis", "kpi_table", "path_kpis_sql", "places_for_metric"]
