"""The public capacity plan as an engine model: tables `public_tap_capacity_series` (the `p<q>` and `rep` rows of
`public_capacity_path`, [GEN-5] [FIN-11]) and `public_tap_capacity_plan` (the same rows with their violation
columns, the rows of public_tap_capacity_plan.csv) [PUB-11] [OUT-3].

The percentiles read every path's capacity rows as weighted rows (issue 13): each served model's row of each path
(weight 1, `public_served_month`, a per-path table of the run's scratch database) and, per parameter set, month
and model without traffic, the one row all M paths of the set hold (weight M, `public_idle_model`). That is the
same multiset of values as `public_capacity_path` over every path, whose representative path's rows give the
`rep` rows and the parameter-level columns ([OUT-3]). The model runs across paths, before the scratch database
is dropped.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.graph import Model
from d3_engine.models.header import Column, ModelHeader
from d3_engine.models.python.series import percentiles_of, rep_path_of, series_model
from d3_engine.models.series import build_series
from d3_engine.models.series_header import make_header, series_header

if TYPE_CHECKING:
    import duckdb

SOURCE = "public_capacity_path"
SERIES = "public_tap_capacity_series"
PLAN = "public_tap_capacity_plan"
FILE = "public_tap_capacity_plan.csv"
KEYS = ("month", "model")
WEIGHTED = "public_capacity_weighted"
"""The temporary view of the weighted rows."""

NOT_IN_FILE = ("path_id", "param_set_id", "month", "model", "max_instances_per_model")
"""Columns of public_capacity_path the file does not show (the keys come first, the set's maximum is a parameter)."""
PASSTHROUGH = ("gpu", "tps", "cap_tokens_per_hour_per_instance", "eur_hr")
"""Parameter-level capacity columns: a percentile row shows the representative path's value ([OUT-3])."""
VIOLATION = "capacity_violation"
PLAN_COLUMNS = (
    Column(
        VIOLATION,
        "BOOLEAN",
        "flag",
        "the row's instances_needed, rounded half away from zero, exceeds the representative set's "
        "max_instances_per_model [OUT-3]",
    ),
    Column(
        "violating_paths_pct",
        "DECIMAL(18,4)",
        "percent",
        "share of all paths whose capacity is violated in this month and model, rounded once to 4 decimals "
        "[OUT-3] [GEN-4]",
    ),
)
SERIES_PURPOSE = "capacity by month and model (public_tap_capacity_plan before its violation columns)"
PLAN_PURPOSE = "rows of public_tap_capacity_plan.csv: the capacity series and its violations [PUB-11] [OUT-3]"
DEPS = [SOURCE, "public_served_month", "public_idle_model", "public_horizon", "representative_path"]


def file_values(source: ModelHeader) -> list[str]:
    """The per-path columns the file shows, in public_capacity_path's order."""
    return [c.name for c in source.columns if c.name not in NOT_IN_FILE]


def value_columns(source: ModelHeader) -> list[str]:
    """The per-path capacity quantities taken as percentiles across paths ([GEN-5])."""
    return [c for c in file_values(source) if c not in PASSTHROUGH and c != VIOLATION]


def headers(source: ModelHeader) -> tuple[ModelHeader, ModelHeader]:
    """The headers of the series table and of the plan, generated from public_capacity_path's."""
    owner = "d3_engine/models/python/capacity_plan.py"
    series = series_header(SERIES, source, SERIES_PURPOSE, KEYS, value_columns(source), PASSTHROUGH, owner=owner)
    plan = make_header(
        PLAN,
        1,
        PLAN_PURPOSE,
        series.grain,
        [*series.columns, *PLAN_COLUMNS],
        series.pipelines,
        {FILE: ["series", *KEYS, *file_values(source), "violating_paths_pct"]},
        owner,
    )
    return series, plan


def weighted_rows_sql(columns: list[str], horizon: int, paths_per_set: int) -> str:
    """Every path's capacity rows as weighted rows: each served model's row of each path (weight 1) and, per
    parameter set, month and model without traffic, the one row all `paths_per_set` paths of the set hold
    (path_id NULL). The same multiset of values as public_capacity_path over every path (issue 13)."""
    listed = ", ".join(columns)
    return f"""
        SELECT path_id, month, model, {listed}, CAST(1 AS BIGINT) AS _weight FROM public_served_month
        UNION ALL
        SELECT CAST(NULL AS BIGINT) AS path_id, CAST(t.month AS BIGINT) AS month, i.model, {listed},
               CAST({int(paths_per_set)} AS BIGINT) AS _weight
        FROM public_idle_model AS i CROSS JOIN (SELECT range AS month FROM range(1, {int(horizon) + 1})) AS t"""


def _paths_per_set(con: duckdb.DuckDBPyConnection) -> int:
    """M, the paths of a parameter set (the same for every set, [GEN-2])."""
    counts = con.execute("SELECT DISTINCT count(*) FROM public_horizon GROUP BY param_set_id").fetchall()
    if len(counts) != 1:
        raise RuntimeFailure(f"{PLAN}: the parameter sets hold different numbers of paths ({sorted(counts)})")
    return int(counts[0][0])


PLAN_SQL = """
CREATE OR REPLACE TABLE public_tap_capacity_plan AS
WITH n AS (SELECT count(*) AS n_paths FROM public_horizon),
violating AS (
    SELECT month, model, sum(_weight) FILTER (WHERE capacity_violation) AS v
    FROM public_capacity_weighted GROUP BY month, model
),
rep AS (
    SELECT max_instances_per_model AS max_rep FROM params_public_tap
    WHERE param_set_id = (SELECT param_set_id FROM representative_path)
)
SELECT s.*,
       round(CAST(s.instances_needed AS DECIMAL(38, 2))) > rep.max_rep AS capacity_violation,
       CAST(CAST((2 * CAST(coalesce(v.v, 0) AS HUGEINT) * 1000000 + n.n_paths) // (2 * n.n_paths)
                 AS DECIMAL(38, 0)) * CAST('0.0001' AS DECIMAL(5, 4)) AS DECIMAL(18, 4)) AS violating_paths_pct
FROM public_tap_capacity_series AS s
CROSS JOIN n CROSS JOIN rep
LEFT JOIN violating AS v USING (month, model)
"""
"""A percentile row's instances_needed is exported rounded half away from zero to an integer; its violation flag
compares that integer with the representative set's maximum ([OUT-3]). violating_paths_pct = 100 · violating
paths / all N paths, the exact quotient rounded once to 4 decimals ([GEN-4]), computed in integers:
round_half_up(v · 10^6 / N) · 10^-4."""


def build_capacity_plan(con: duckdb.DuckDBPyConnection, source: ModelHeader) -> int:
    """Create public_tap_capacity_series and public_tap_capacity_plan; returns the rows of both."""
    values = value_columns(source)
    horizon = int(con.execute("SELECT horizon_months FROM run_settings").fetchall()[0][0])
    weighted = weighted_rows_sql([*values, VIOLATION], horizon, _paths_per_set(con))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {WEIGHTED} AS {weighted}")
    try:
        rows = build_series(
            con,
            SERIES,
            WEIGHTED,
            list(KEYS),
            values,
            percentiles_of(con),
            rep_path_of(con),
            list(PASSTHROUGH),
            weight="_weight",
            rep_source=SOURCE,
        )
        con.execute(PLAN_SQL)
    finally:
        con.execute(f"DROP VIEW IF EXISTS {WEIGHTED}")
    return rows + int(con.execute(f"SELECT count(*) FROM {PLAN}").fetchall()[0][0])


def model(sources: Mapping[str, ModelHeader]) -> Model:
    """[PUB-11] the capacity plan as an engine model over public_capacity_path's header."""
    source = sources[SOURCE]
    series, plan = headers(source)

    def build(con: duckdb.DuckDBPyConnection) -> int:
        return build_capacity_plan(con, source)

    return series_model(PLAN, [series, plan], list(DEPS), build, inspect.getsource(sys.modules[__name__]))
