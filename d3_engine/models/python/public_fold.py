"""Served tokens and instance-hours of a Public Tap month as an engine model: table `public_month_fold`.

[PUB-9] sums tokens over the models *left to right in model byte order* (a float sum depends on its order).
SQL has no ordered fold but a `list()` aggregate sorted and reduced per path-month, which was a third of
`public_month` (issue 13). Here the parts are laid out as a (path-month × model) array in model order and
added column by column: the same additions in the same order, so the same bits. A model without a row in a
month adds +0.0, which never changes the running sum (it starts at +0.0 and parts are never −0.0 sums).
The models with traffic come per path from `public_served_month`; the admitted models without traffic have
one row per parameter set (`public_idle_model`), the same on every path and month of the set.
Loops run over models (at most the curated list), never over paths.
"""

from __future__ import annotations

import inspect
import sys
from typing import TYPE_CHECKING

import numpy as np

from d3_engine.core.columns import fetch_columns
from d3_engine.core.db import create_table
from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.graph import Model
from d3_engine.models.header import parse_header

if TYPE_CHECKING:
    import duckdb

MODEL_NAME = "public_month_fold"
MODEL_VERSION = 1
DEPS = ["public_demand", "public_served_month", "public_idle_model", "public_admission"]

HEADER = parse_header(
    """
-- model: public_month_fold
-- version: 1
-- purpose: per path and month the served tokens and instance-hours, left to right in model order [PUB-9] [PUB-11]
-- pipelines: public
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   month BIGINT <month>  plan month
--   tokens DOUBLE <tokens>  Σ_m tokens_{t,m}, left to right in model byte order [PUB-9]
--   instance_hours DOUBLE <GPU-hours>  Σ_m instance_hours_{t,m}, left to right in model byte order [PUB-11]
""",
    "d3_engine/models/python/public_fold.py",
)

_RANKS = (
    "SELECT model, CAST(row_number() OVER (ORDER BY model) - 1 AS BIGINT) AS k "
    "FROM (SELECT DISTINCT model FROM public_admission)"
)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, np.ndarray]:
    got = fetch_columns(con, sql)
    for name, column in got.items():
        if column.nulls is not None:
            raise RuntimeFailure(f"{MODEL_NAME}: {name} is NULL in a model's month (tokens and hours are never null)")
    return {name: column.values for name, column in got.items()}


def build_public_month_fold(con: duckdb.DuckDBPyConnection) -> int:
    """Create table `public_month_fold` (every path-month of public_demand); returns its rows."""
    months = _fetch(con, "SELECT path_id, month, param_set_id FROM public_demand")
    key = months["path_id"] * (1 << 20) + months["month"]  # months < 2^20: one sortable key per path-month
    if np.any(np.diff(key) <= 0):  # public_demand is built in path_id, month order; sorting is the fallback
        months = {name: values[np.argsort(key, kind="stable")] for name, values in months.items()}
        key = np.sort(key)
    models = int(con.execute("SELECT count(DISTINCT model) FROM public_admission").fetchall()[0][0])
    rows = len(months["path_id"])
    tokens = np.zeros((rows, max(models, 1)), dtype=np.float64)
    hours = np.zeros_like(tokens)
    served = _fetch(
        con,
        f"SELECT s.path_id, s.month, r.k, s.tokens, s.instance_hours FROM public_served_month AS s "
        f"JOIN ({_RANKS}) AS r USING (model)",
    )
    at = np.searchsorted(key, served["path_id"] * (1 << 20) + served["month"])
    if len(at) and (at.max() >= rows or not np.array_equal(key[at], served["path_id"] * (1 << 20) + served["month"])):
        raise RuntimeFailure(f"{MODEL_NAME}: public_served_month has a path-month that public_demand has not")
    tokens[at, served["k"]] = served["tokens"]
    hours[at, served["k"]] = served["instance_hours"]
    idle = _fetch(
        con,
        f"SELECT i.param_set_id, r.k, i.tokens, i.instance_hours FROM public_idle_model AS i "
        f"JOIN ({_RANKS}) AS r USING (model)",
    )
    if len(idle["param_set_id"]):  # the idle parts of each row's set, where no served part sits (never both)
        sets = np.unique(idle["param_set_id"])
        of_row = np.searchsorted(sets, months["param_set_id"])
        known = (of_row < len(sets)) & (sets[np.minimum(of_row, len(sets) - 1)] == months["param_set_id"])
        idle_tokens, idle_hours = np.zeros((len(sets), tokens.shape[1])), np.zeros((len(sets), tokens.shape[1]))
        idle_set = np.searchsorted(sets, idle["param_set_id"])
        idle_tokens[idle_set, idle["k"]] = idle["tokens"]
        idle_hours[idle_set, idle["k"]] = idle["instance_hours"]
        tokens[known] += idle_tokens[of_row[known]]
        hours[known] += idle_hours[of_row[known]]
    total_tokens, total_hours = np.zeros(rows), np.zeros(rows)
    for k in range(tokens.shape[1]):  # left to right in model byte order
        total_tokens = total_tokens + tokens[:, k]
        total_hours = total_hours + hours[:, k]
    columns = {"path_id": months["path_id"], "month": months["month"], "tokens": total_tokens}
    columns["instance_hours"] = total_hours
    return create_table(con, MODEL_NAME, HEADER.schema(), columns)


def model() -> Model:
    """The ordered fold as an engine model (fingerprint: this module's source)."""
    return Model(
        name=MODEL_NAME,
        version=MODEL_VERSION,
        deps=list(DEPS),
        layer="30_public",
        python=build_public_month_fold,
        fingerprint_source=inspect.getsource(sys.modules[__name__]),
        pipelines=["public"],
        python_tables=[HEADER],
    )
