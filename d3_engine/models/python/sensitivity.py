"""Sensitivity of the horizon KPIs to every non-fixed variable (DOMAIN FIN-13) as an engine model: table
`sensitivity` (the rows of sensitivity.csv; columns: `HEADER`).

For each used variable with treatment ≠ fixed and each KPI in [FIN-13] order (`net_income_eur` =
net_income_h, `cash_min_eur`, `dscr_min`), over the paths whose KPI is not null (their count is n_paths):

- `spearman_rho`: the Pearson correlation of average ranks, in float64. Average ranks are half-integers, so
  d = 2·avg_rank − (n + 1) is an integer; S_xy = Σ d_x·d_y, S_xx = Σ d_x², S_yy = Σ d_y² are exact integer
  sums (their order cannot matter) and rho = float(S_xy) / sqrt(float(S_xx)·float(S_yy)), each step one
  correctly rounded float64 operation; null when S_xx or S_yy is 0 (either side constant).
- Q25, Q75: the [GEN-5] p = 25 and p = 75 quantiles, in exact decimal, of the variable's values on those
  paths (a discrete variable's value is its `level`, the index of its value in `values=`, from the plan table
  `variable_levels`).
- `kpi_mean_low` / `kpi_mean_high`: the exact decimal mean of the KPI over the paths whose value ≤ Q25 /
  ≥ Q75, rounded once, half away from zero, to 6 decimals; `swing` = high − low.

The work over all paths (ranks, integer sums, quantiles, decimal sums) is one SQL query; Python only turns
the few group results into rho and rounded means (Python's int → float conversion is correctly rounded, which
DuckDB's HUGEINT → DOUBLE cast does not promise). The model reads `params`, `variable_levels` (plan tables)
and `finance_path_kpis`; it runs once, after the path batches.

A variable's value is the same on every path of a parameter set, so the query never pairs each path with each
variable (18 M rows at 1 M paths): it ranks each KPI once over its paths (d_y does not depend on the variable,
since every parameter set carries every used variable, which the query checks), sums per parameter set the
paths' count c, Σ d_y, Σ d_y² and Σ KPI, and then works on the distinct values of each variable. A value x with
c paths of which `below` paths hold a smaller value has the average rank below + (c + 1)/2, so
d_x = 2·below + c − n; S_xy = Σ d_x·(Σ d_y), S_xx = Σ c·d_x²; the order statistic x_i of [GEN-5] is the value
whose paths cover position i (below ≤ i < below + c). All of it is exact integer or decimal arithmetic, so the
result is the path-by-path computation's to the bit (tests/unit/test_sensitivity.py checks it against a
path-by-path reference on random plans with ties); 1 M paths: 26.7 → 1.4 s.
"""

from __future__ import annotations

import inspect
import math
import string
import sys
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import create_table
from d3_engine.models.graph import Model
from d3_engine.models.header import parse_header

if TYPE_CHECKING:
    import duckdb

MODEL_NAME = "sensitivity"
MODEL_VERSION = 1
LAYER = "60_consolidation"
DEPS = ["finance_path_kpis"]

HEADER = parse_header(
    """
-- model: sensitivity
-- version: 1
-- purpose: each horizon KPI's response to each non-fixed variable, the rows of sensitivity.csv [FIN-13] [OUT-4]
-- pipelines: public, private
-- scope: across paths
-- grain: scope, variable_id, kpi
-- columns:
--   variable_id VARCHAR <id>  a used variable whose treatment is not fixed [FIN-13]
--   scope VARCHAR <id>  scope of the variable: general, public_tap or private_tap [IN-13]
--   path VARCHAR <id>  key path the variable overlays [IN-15]
--   treatment VARCHAR <text>  low_to_high or random [IN-16]
--   kpi VARCHAR <text>  net_income_eur (horizon net income), cash_min_eur (lowest cash) or dscr_min [FIN-13]
--   n_paths BIGINT <count>  paths with a non-null KPI value [FIN-13]
--   spearman_rho DOUBLE <ratio>  rank correlation of the variable's path values with the KPI; null if constant [FIN-13]
--   kpi_mean_low DECIMAL(18,6) <KPI unit>  mean KPI over paths whose variable value <= its p25 [FIN-13]
--   kpi_mean_high DECIMAL(18,6) <KPI unit>  mean KPI over paths whose variable value >= its p75 [FIN-13]
--   swing DECIMAL(18,6) <KPI unit>  kpi_mean_high - kpi_mean_low [FIN-13]
""",
    "d3_engine/models/python/sensitivity.py",
)
KPIS: tuple[tuple[str, str], ...] = (
    ("net_income_eur", "net_income_h_eur"),
    ("cash_min_eur", "cash_min_eur"),
    ("dscr_min", "dscr_min"),
)
"""(kpi name in sensitivity.csv, column of finance_path_kpis), in [FIN-13] order."""

SCOPE_ID = {"general": 0, "public_tap": 1, "private_tap": 2}


SQL = string.Template("""
WITH levels AS (SELECT scope, variable_id, value_text, level FROM variable_levels),
variables AS (SELECT DISTINCT scope, variable_id, path, treatment FROM params WHERE treatment <> 'fixed'),
chosen AS (SELECT param_set_id, scope, variable_id, value_text FROM params WHERE treatment <> 'fixed'),
is_discrete AS (SELECT DISTINCT scope, variable_id FROM levels),
var_values AS (
    SELECT c.param_set_id, c.scope, c.variable_id,
        CAST(coalesce(l.level, error('sensitivity: discrete value ' || c.value_text || ' has no index'))
             AS DECIMAL(38,16)) AS x
    FROM chosen AS c JOIN is_discrete AS d USING (scope, variable_id)
    LEFT JOIN levels AS l USING (scope, variable_id, value_text)
    UNION ALL
    SELECT c.param_set_id, c.scope, c.variable_id, CAST(c.value_text AS DECIMAL(38,16)) AS x
    FROM chosen AS c ANTI JOIN is_discrete AS d USING (scope, variable_id)
),
kpis AS ($kpis),
ky AS (
    SELECT kpi, param_set_id, k,
        CAST(2 * rank() OVER (PARTITION BY kpi ORDER BY k) + count(*) OVER (PARTITION BY kpi, k) - 2
             - count(*) OVER (PARTITION BY kpi) AS HUGEINT) AS dy
    FROM kpis WHERE k IS NOT NULL
),
per_set AS (
    SELECT kpi, param_set_id, count(*) AS c, sum(dy) AS y, sum(dy * dy) AS yy, sum(k) AS ks
    FROM ky GROUP BY kpi, param_set_id
),
by_x AS (
    SELECT v.scope, v.variable_id, s.kpi, v.x, sum(s.c) AS c, sum(s.y) AS y, sum(s.yy) AS yy, sum(s.ks) AS ks
    FROM per_set AS s JOIN var_values AS v USING (param_set_id)
    GROUP BY v.scope, v.variable_id, s.kpi, v.x
),
placed AS (
    SELECT scope, variable_id, kpi, x, c, y, yy, ks,
        sum(c) OVER ($part ORDER BY x ROWS UNBOUNDED PRECEDING) - c AS below,
        sum(c) OVER ($part) AS n
    FROM by_x
),
kpi_paths AS (SELECT kpi, count(*) AS n FROM ky GROUP BY kpi),
deviations AS (
    SELECT p.scope, p.variable_id, p.kpi, p.c, p.y, p.yy, t.n AS kpi_n, CAST(2 * p.below + p.c - p.n AS HUGEINT) AS dx
    FROM placed AS p JOIN kpi_paths AS t USING (kpi)
),
corr AS (
    SELECT scope, variable_id, kpi,
        CAST(CASE WHEN sum(c) = any_value(kpi_n) THEN sum(c)
                  ELSE error('sensitivity: a variable has no value in some parameter set') END AS BIGINT) AS n_paths,
        sum(dx * y) AS sxy, sum(c * dx * dx) AS sxx, sum(yy) AS syy
    FROM deviations GROUP BY scope, variable_id, kpi
),
picked AS (
    SELECT g.scope, g.variable_id, g.kpi, q.p, g.n, ((g.n - 1) * q.p) // 100 AS i,
        CAST(CAST((g.n - 1) * q.p - 100 * (((g.n - 1) * q.p) // 100) AS DECIMAL(2,0))
             * CAST('0.01' AS DECIMAL(3,2)) AS DECIMAL(38,2)) AS f
    FROM (SELECT DISTINCT scope, variable_id, kpi, n FROM placed) AS g
    CROSS JOIN (VALUES (25), (75)) AS q(p)
),
quartiles AS (
    SELECT q.scope, q.variable_id, q.kpi, q.p, lo.x + (coalesce(hi.x, lo.x) - lo.x) * q.f AS value
    FROM picked AS q
    JOIN placed AS lo ON lo.scope = q.scope AND lo.variable_id = q.variable_id AND lo.kpi = q.kpi
        AND lo.below <= q.i AND q.i < lo.below + lo.c
    LEFT JOIN placed AS hi ON hi.scope = q.scope AND hi.variable_id = q.variable_id AND hi.kpi = q.kpi
        AND q.i + 1 < q.n AND hi.below <= q.i + 1 AND q.i + 1 < hi.below + hi.c
),
bounds AS (
    SELECT scope, variable_id, kpi, max(value) FILTER (WHERE p = 25) AS q25,
        max(value) FILTER (WHERE p = 75) AS q75
    FROM quartiles GROUP BY scope, variable_id, kpi
),
means AS (
    SELECT j.scope, j.variable_id, j.kpi,
        sum(j.ks) FILTER (WHERE j.x <= b.q25) AS low_sum, sum(j.c) FILTER (WHERE j.x <= b.q25) AS low_n,
        sum(j.ks) FILTER (WHERE j.x >= b.q75) AS high_sum, sum(j.c) FILTER (WHERE j.x >= b.q75) AS high_n
    FROM placed AS j JOIN bounds AS b USING (scope, variable_id, kpi)
    GROUP BY j.scope, j.variable_id, j.kpi
),
kpi_list AS (SELECT * FROM (VALUES $kpi_list)
             AS t(kpi_order, kpi))
SELECT v.variable_id, v.scope, v.path, v.treatment, l.kpi, l.kpi_order, coalesce(c.n_paths, 0) AS n_paths,
    c.sxy, c.sxx, c.syy, m.low_sum, m.low_n, m.high_sum, m.high_n
FROM variables AS v CROSS JOIN kpi_list AS l
LEFT JOIN corr AS c USING (scope, variable_id, kpi)
LEFT JOIN means AS m USING (scope, variable_id, kpi)
""")
"""The one query of [FIN-13]: `$kpis` (the KPI columns unpivoted), `$part`
(the window partition of one variable and KPI), `$kpi_list` (KPI order)."""


def sensitivity_sql(kpi_source: str = "finance_path_kpis") -> str:
    """One row per (non-fixed variable, KPI): n_paths, the integer rank sums, Q25/Q75 sums and counts.

    Variable values are exact DECIMAL(38,16) (lattice texts) or the discrete level; a discrete value
    missing from `variable_levels` is an engine bug and raises.
    """
    kpis = "\n    UNION ALL ".join(
        f"SELECT path_id, param_set_id, {i} AS kpi_order, '{name}' AS kpi, {column} AS k FROM {kpi_source}"
        for i, (name, column) in enumerate(KPIS)
    )
    return SQL.substitute(
        kpis=kpis,
        part="PARTITION BY scope, variable_id, kpi",
        kpi_list=", ".join(f"({i}, '{name}')" for i, (name, _) in enumerate(KPIS)),
    )


def spearman_rho(sxy: int | None, sxx: int | None, syy: int | None) -> float | None:
    """rho from the exact integer sums of doubled rank deviations; None when a side is constant."""
    if sxy is None or not sxx or not syy:
        return None
    return float(sxy) / math.sqrt(float(sxx) * float(syy))


def mean_6(total: Decimal | None, count: int | None) -> Decimal | None:
    """The exact mean total/count rounded once, half away from zero, to 6 decimals; None without values."""
    if total is None or not count:
        return None
    scaled = Fraction(total) * 10**6 / count
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(magnitude if scaled >= 0 else -magnitude).scaleb(-6)


def sensitivity_rows(con: duckdb.DuckDBPyConnection, kpi_source: str = "finance_path_kpis") -> list[list[Any]]:
    """The rows of sensitivity.csv, ordered by scope_id, variable_id (bytes), KPI ([OUT-4], [GEN-6])."""
    raw = con.execute(sensitivity_sql(kpi_source)).fetchall()
    raw.sort(key=lambda r: (SCOPE_ID[r[1]], r[0].encode(), r[5]))
    rows = []
    for variable_id, scope, path, treatment, kpi, _, n, sxy, sxx, syy, low_sum, low_n, high_sum, high_n in raw:
        low, high = mean_6(low_sum, low_n), mean_6(high_sum, high_n)
        swing = high - low if low is not None and high is not None else None
        rows.append([variable_id, scope, path, treatment, kpi, n, spearman_rho(sxy, sxx, syy), low, high, swing])
    return rows


def build_sensitivity(con: duckdb.DuckDBPyConnection) -> int:
    """Create the `sensitivity` table (the columns of `HEADER`, rows in file order); returns its row count."""
    names = [c.name for c in HEADER.columns]
    columns: dict[str, list[Any]] = {name: [] for name in names}
    for row in sensitivity_rows(con):
        for name, value in zip(names, row, strict=True):
            # Decimals travel as their exact text so that the DECIMAL column receives them unrounded.
            columns[name].append(format(value, "f") if isinstance(value, Decimal) else value)
    return create_table(con, MODEL_NAME, HEADER.schema(), columns)


def model() -> Model:
    """[FIN-13] sensitivity as an engine model (fingerprint: this module's source)."""
    return Model(
        name=MODEL_NAME,
        version=MODEL_VERSION,
        deps=list(DEPS),
        layer=LAYER,
        python=build_sensitivity,
        fingerprint_source=inspect.getsource(sys.modules[__name__]),
        pipelines=list(HEADER.pipelines),
        python_tables=[HEADER],
    )
