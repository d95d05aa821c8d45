"""Effective parameters of every parameter set as DuckDB tables (IN-16, IN-17).

`params_<scope>` is wide: one row per (grid_index, replicate_index) and one column per scalar key
of the scope's schema (the last key segment; `vendor_weights.x` becomes `weight_x`). Map-valued
keys (fixed costs, channel allocations, GPU mix, base fee by class) become long tables. Models
read these tables only; nothing reads a raw operator value where a variable applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from d3_engine.db import create_table
from d3_engine.formats import draw_value_text
from d3_engine.offers import gpu_key
from d3_engine.scenarios import ParamValues, overlay_column
from d3_engine.schemas import load_schema
from d3_engine.variables import leaf_value

if TYPE_CHECKING:
    import duckdb

MAP_GROUPS: dict[str, dict[str, tuple[str, str, str]]] = {
    "general": {"finance.fixed_costs_monthly_eur": ("params_fixed_costs", "item", "amount_eur")},
    "public_tap": {"acquisition.channel_allocation": ("params_public_channels", "label", "share")},
    "private_tap": {
        "acquisition.channel_allocation": ("params_private_channels", "label", "share"),
        "client_gpu_mix": ("params_client_gpu_mix", "gpu", "share"),
        "prepaid_policy.private_tap.base_fee_by_gpu_class": ("params_base_fee_by_gpu", "gpu", "fee_eur_per_month"),
    },
}
SKIPPED = {"meta.description", "meta.seed"}
RENAMED = {"loan.amount_eur": "loan_amount_eur"}
WEIGHT_GROUPS = {
    "public_tap.acquisition.channel_allocation",
    "private_tap.acquisition.channel_allocation",
    "private_tap.client_gpu_mix",
}


def scalar_keys(scope: str) -> list[tuple[str, str, str]]:
    """(path, column, SQL type) for every scalar key of a scope's schema, in schema order."""
    out: list[tuple[str, str, str]] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, sub in (node.get("properties") or {}).items():
            path = f"{prefix}.{key}" if prefix else key
            if path in SKIPPED or path in MAP_GROUPS.get(scope, {}):
                continue
            kinds = sub.get("type", "string")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if "object" in kinds:
                walk(sub, path)
            elif "array" in kinds:
                continue
            else:
                column = RENAMED.get(path, f"weight_{key}" if prefix.endswith("vendor_weights") else key)
                sql = (
                    "BOOLEAN"
                    if "boolean" in kinds
                    else "BIGINT"
                    if "integer" in kinds
                    else ("DOUBLE" if "number" in kinds else "VARCHAR")
                )
                if "enum" in sub and all(isinstance(v, int) for v in sub["enum"] if v is not None):
                    sql = "BIGINT"
                out.append((path, column, sql))

    walk(load_schema(scope), "")
    return out


def _index_columns(values: ParamValues) -> dict[str, np.ndarray]:
    n, r = values.plan.param_sets, values.plan.replicates
    ids = np.arange(n, dtype=np.int64)
    return {"param_set_id": ids, "grid_index": ids // r, "replicate_index": ids % r}


def _variable_for(values: ParamValues, scope: str, path: str) -> list[Any] | None:
    for variable in values.plan.used:
        if variable.scope == scope and variable.path == path:
            return values.by_variable[(scope, variable.variable_id)]
    return None


def wide_columns(values: ParamValues, scope: str, data: Any) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Schema and columns of params_<scope> after overlay and the IN-16 clamps."""
    n = values.plan.param_sets
    schema = {"param_set_id": "BIGINT", "grid_index": "BIGINT", "replicate_index": "BIGINT"}
    columns = _index_columns(values)
    for path, column, sql in scalar_keys(scope):
        _, default = leaf_value(data, path)
        schema[column] = sql
        columns[column] = overlay_column(default, _variable_for(values, scope, path), n)
    _clamp(scope, columns)
    if scope == "private_tap":
        _renormalise_vendor_weights(columns)
    return schema, columns


def _clamp(scope: str, c: dict[str, np.ndarray]) -> None:
    """IN-16 clamps for drawn sets; a no-op on validated grid points."""
    if scope == "public_tap":
        floor, cap = c["min_floor_eur_per_1k"], c["max_cap_eur_per_1k"]
        if floor.dtype == np.float64 and cap.dtype == np.float64:
            c["min_floor_eur_per_1k"] = np.where(np.isnan(cap), floor, np.fmin(floor, cap))
        c["max_instances_per_model"] = np.maximum(c["max_instances_per_model"], c["min_instances_per_model"])
        c["scale_down_threshold_pct"] = np.minimum(c["scale_down_threshold_pct"], c["scale_up_threshold_pct"] - 1e-9)
        c["min_topup_eur"] = np.minimum(c["min_topup_eur"], c["max_topup_eur"])
    if scope == "general":
        c["grace_period_months"] = np.minimum(c["grace_period_months"], c["term_months"] - 1)


def _renormalise_vendor_weights(c: dict[str, np.ndarray]) -> None:
    keys = ("weight_cost", "weight_availability", "weight_reputation")
    total = c[keys[0]] + c[keys[1]] + c[keys[2]]
    zero = total <= 0
    safe = np.where(zero, 1.0, total)
    for key in keys:
        c[key] = np.where(zero, 1.0 if key == "weight_cost" else 0.0, c[key] / safe)


def long_rows(values: ParamValues, scope: str, path: str, data: Any, gpu_keys: list[str]) -> dict[str, list[Any]]:
    """Rows of a map-valued key per parameter set; weight groups renormalised (IN-17)."""
    _, mapping = leaf_value(data, path)
    entries = dict(mapping or {})
    is_gpu = path in ("client_gpu_mix", "prepaid_policy.private_tap.base_fee_by_gpu_class")
    if path == "client_gpu_mix" and not entries:
        entries = dict.fromkeys(gpu_keys, 1.0)  # PRV-6: not set → equal split over curated GPUs
    names = list(entries)
    per_key = {
        name: overlay_column(entries[name], _variable_for(values, scope, f"{path}.{name}"), values.plan.param_sets)
        for name in names
    }
    weights = f"{scope}.{path}" in WEIGHT_GROUPS
    if weights and names:
        matrix = np.vstack([per_key[k] for k in names])
        total = matrix.sum(axis=0)
        matrix = np.where(total > 0, matrix / np.where(total > 0, total, 1.0), 1.0 / len(names))
        per_key = {k: matrix[i] for i, k in enumerate(names)}
    idx = _index_columns(values)
    rows: dict[str, list[Any]] = {"param_set_id": [], "grid_index": [], "replicate_index": [], "key": [], "value": []}
    for ps in range(values.plan.param_sets):
        for name in sorted(names, key=lambda s: (gpu_key(s) if is_gpu else s).encode()):
            rows["param_set_id"].append(int(idx["param_set_id"][ps]))
            rows["grid_index"].append(int(idx["grid_index"][ps]))
            rows["replicate_index"].append(int(idx["replicate_index"][ps]))
            rows["key"].append(gpu_key(name) if is_gpu else name)
            rows["value"].append(float(per_key[name][ps]))
    return rows


def write_params(
    con: duckdb.DuckDBPyConnection, values: ParamValues, docs: dict[str, Any], gpu_keys: list[str]
) -> dict[str, int]:
    """Create params_<scope>, the map tables and the long `params` table; returns row counts."""
    counts: dict[str, int] = {}
    for scope, data in docs.items():
        if data is None:
            continue
        schema, columns = wide_columns(values, scope, data)
        counts[f"params_{scope}"] = create_table(con, f"params_{scope}", schema, columns)
        for path, (table, key_col, value_col) in MAP_GROUPS.get(scope, {}).items():
            rows = long_rows(values, scope, path, data, gpu_keys)
            rows[key_col] = rows.pop("key")
            rows[value_col] = rows.pop("value")
            types = {
                "param_set_id": "BIGINT",
                "grid_index": "BIGINT",
                "replicate_index": "BIGINT",
                key_col: "VARCHAR",
                value_col: "DOUBLE",
            }
            counts[table] = create_table(con, table, types, rows)
    counts["params"] = _write_long_params(con, values)
    return counts


def write_settings(con: duckdb.DuckDBPyConnection, simulation: Any, fx: float) -> int:
    """`run_settings`: one row of the run-level scalars of simulation.yaml plus the EUR/USD rate.

    These keys are not variable targets, so they do not vary by parameter set.
    """
    schema: dict[str, str] = {}
    columns: dict[str, list[Any]] = {}
    for path, column, sql in scalar_keys("simulation"):
        _, value = leaf_value(simulation, path)
        schema[column] = sql
        columns[column] = [value]
    schema["eur_usd_fx_rate"] = "DOUBLE"
    columns["eur_usd_fx_rate"] = [fx]
    return create_table(con, "run_settings", schema, columns)


def _write_long_params(con: duckdb.DuckDBPyConnection, values: ParamValues) -> int:
    plan = values.plan
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "param_set_id",
            "grid_index",
            "replicate_index",
            "scope",
            "variable_id",
            "path",
            "treatment",
            "value_text",
            "value_num",
        )
    }
    for ps in range(plan.param_sets):
        g, r = divmod(ps, plan.replicates)
        for variable in plan.used:
            value = values.by_variable[(variable.scope, variable.variable_id)][ps]
            cols["param_set_id"].append(ps)
            cols["grid_index"].append(g)
            cols["replicate_index"].append(r)
            cols["scope"].append(variable.scope)
            cols["variable_id"].append(variable.variable_id)
            cols["path"].append(variable.path)
            cols["treatment"].append(variable.treatment)
            cols["value_text"].append(draw_value_text(value))
            cols["value_num"].append(None if isinstance(value, str) else float(value))
    types = {
        "param_set_id": "BIGINT",
        "grid_index": "BIGINT",
        "replicate_index": "BIGINT",
        "scope": "VARCHAR",
        "variable_id": "VARCHAR",
        "path": "VARCHAR",
        "treatment": "VARCHAR",
        "value_text": "VARCHAR",
        "value_num": "DOUBLE",
    }
    return create_table(con, "params", types, cols)
