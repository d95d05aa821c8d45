"""Effective parameters of every parameter set as DuckDB tables (IN-16, IN-17).

`params_<scope>` is wide: one row per (grid_index, replicate_index) and one column per scalar key
of the scope's schema (the last key segment; `vendor_weights.x` becomes `weight_x`). Map-valued
keys (fixed costs, channel allocations, GPU mix, base fee by class) become long tables. `params`
is the long list of variable values. Models read these tables only; nothing reads a raw operator
value where a variable applies. Every table is built from NumPy columns, never row by row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from d3_engine.core.db import Described, comment_on, create_described_table, create_table
from d3_engine.core.formats import draw_value_text
from d3_engine.inputs.key_docs import file_title, key_comment
from d3_engine.inputs.offers import gpu_key
from d3_engine.inputs.schemas import load_schema
from d3_engine.inputs.stresses import Stress
from d3_engine.inputs.variable_keys import leaf_value
from d3_engine.plan.scenarios import ParamValues, Value, overlay_column
from d3_engine.plan.stress_params import stress_column

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
RENAMED = {
    "loan.amount_eur": "loan_amount_eur",
    "funding_line.interest_rate_pct": "funding_line_rate_pct",
    "funding_line.limit_eur": "funding_line_limit_eur",
}
WEIGHT_GROUPS = {
    "public_tap.acquisition.channel_allocation",
    "private_tap.acquisition.channel_allocation",
    "private_tap.client_gpu_mix",
}
GPU_MAPS = {"client_gpu_mix", "prepaid_policy.private_tap.base_fee_by_gpu_class"}
VENDOR_WEIGHTS = ("weight_cost", "weight_availability", "weight_reputation")
#: A weight group whose sum lies within this of 1 is used as written ([IN-17]).
SUM_TOLERANCE = 1e-9
INDEX_TYPES = {"param_set_id": "BIGINT", "grid_index": "BIGINT", "replicate_index": "BIGINT"}
INDEX_COMMENTS = {
    "param_set_id": "parameter set = grid_index × R + replicate_index; its paths share its values [unit: id]",
    "grid_index": "grid point: one combination of the low_to_high variables [IN-16] [unit: id]",
    "replicate_index": "replicate r < R of the grid point: the draw of the random variables [IN-16] [unit: id]",
}
#: How a params_<scope> value came to be (the tail of each column's COMMENT).
OVERLAID = ", per parameter set: the file's value, then its variable [IN-16], the stress [IN-21] and the IN-16 clamps"
LONG_PARAMS_COLUMNS: Described = {
    **{c: (t, INDEX_COMMENTS[c]) for c, t in INDEX_TYPES.items()},
    "scope": ("VARCHAR", "scope of the variable: general, public_tap or private_tap [IN-13] [unit: id]"),
    "variable_id": ("VARCHAR", "the variable, as in variables/<scope>.csv [IN-13] [unit: id]"),
    "path": ("VARCHAR", "key path the variable overlays in the scope's operator YAML [IN-15] [unit: id]"),
    "treatment": ("VARCHAR", "fixed, low_to_high (grid axis) or random (drawn per replicate) [IN-16] [unit: text]"),
    "value_text": (
        "VARCHAR",
        "the variable's value in this set as exact text (variable_draws.draw_value) [OUT-3] [unit: text]",
    ),
    "value_num": ("DOUBLE", "the same value as a number; null for a discrete text value [unit: the variable's unit]"),
}
VARIABLE_LEVELS_COLUMNS: Described = {
    "scope": ("VARCHAR", "scope of the variable: general, public_tap or private_tap [IN-13] [unit: id]"),
    "variable_id": ("VARCHAR", "a used discrete variable, as in variables/<scope>.csv [IN-13] [unit: id]"),
    "value_text": ("VARCHAR", "one of its values= as exact text, as params.value_text holds it [IN-13] [unit: text]"),
    "level": ("BIGINT", "0-based position of the value in values=, the value's rank for [FIN-13] [unit: id]"),
}

# The defaults of the optional keys of v1.2 [V12-1], [V12-5], resolved once, here, where parameters are
# built: a constant default, or a column whose value is taken per parameter set (the funding-line rate is
# the parameter set's loan rate, [FIN-7a]). A key left unset without an entry here stays null (= unset:
# `funding_line.limit_eur` means "no limit"). `funded_by` (an item key of a list) defaults in the store.
PARAMETER_DEFAULTS: dict[str, dict[str, str]] = {"general": {"funding_line_rate_pct": "interest_rate_pct"}}
"""params_<scope> column → the column of the same parameter set whose value it takes when unset."""


def _sql_type(node: dict[str, Any], kinds: list[str]) -> str:
    if "enum" in node and all(isinstance(v, int) for v in node["enum"] if v is not None):
        return "BIGINT"  # e.g. tax.vat_period_months ∈ {1, 3}
    if "boolean" in kinds:
        return "BOOLEAN"
    if "integer" in kinds:
        return "BIGINT"
    return "DOUBLE" if "number" in kinds else "VARCHAR"


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
            elif "array" not in kinds:
                column = RENAMED.get(path, f"weight_{key}" if prefix.endswith("vendor_weights") else key)
                out.append((path, column, _sql_type(sub, kinds)))

    walk(load_schema(scope), "")
    return out


def _index_columns(values: ParamValues, repeat: int = 1) -> dict[str, np.ndarray]:
    """param_set_id, grid_index, replicate_index of every set, each repeated `repeat` times."""
    ids = np.repeat(np.arange(values.plan.param_sets, dtype=np.int64), repeat)
    r = values.plan.replicates
    return {"param_set_id": ids, "grid_index": ids // r, "replicate_index": ids % r}


def _variable_for(values: ParamValues, scope: str, path: str) -> list[Value] | None:
    for variable in values.plan.used:
        if variable.scope == scope and variable.path == path:
            return values.by_variable[(scope, variable.variable_id)]
    return None


def wide_columns(
    values: ParamValues, scope: str, data: Any, stress: Stress | None = None
) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Schema and columns of params_<scope> after overlay, the stress ([IN-21]) and the IN-16 clamps."""
    n = values.plan.param_sets
    schema = dict(INDEX_TYPES)
    columns = _index_columns(values)
    for path, column, sql in scalar_keys(scope):
        _, default = leaf_value(data, path)
        schema[column] = sql
        overlaid = overlay_column(default, _variable_for(values, scope, path), n, integer=sql == "BIGINT")
        columns[column] = stress_column(overlaid, scope, path, stress)
    resolve_parameter_defaults(scope, columns)
    clamp(scope, columns)
    if scope == "private_tap":
        renormalise_vendor_weights(columns)
    return schema, columns


def resolve_parameter_defaults(scope: str, c: dict[str, np.ndarray]) -> None:
    """Fill each unset optional key of PARAMETER_DEFAULTS with its source column, per parameter set."""
    for column, source in PARAMETER_DEFAULTS.get(scope, {}).items():
        if column in c and c[column].dtype == object:
            unset = np.array([v is None for v in c[column]], dtype=bool)
            if unset.any():
                c[column] = np.where(unset, c[source].astype(np.float64), c[column]).astype(np.float64)


def clamp(scope: str, c: dict[str, np.ndarray]) -> None:
    """The IN-16 clamps, applied to every set; they change only drawn sets (grid points are validated).

    floor := min(floor, cap) (an unset floor or cap is left alone), max_instances := max(max, min),
    scale_down := min(down, up − 1e-9), min_topup := min(min_topup, max_topup),
    grace := min(grace, term − 1).
    """
    if scope == "public_tap":
        floor, cap = c["min_floor_eur_per_1k"], c["max_cap_eur_per_1k"]
        if floor.dtype == np.float64 and cap.dtype == np.float64:
            c["min_floor_eur_per_1k"] = np.fmin(floor, cap)
        c["max_instances_per_model"] = np.maximum(c["max_instances_per_model"], c["min_instances_per_model"])
        c["scale_down_threshold_pct"] = np.minimum(c["scale_down_threshold_pct"], c["scale_up_threshold_pct"] - 1e-9)
        c["min_topup_eur"] = np.minimum(c["min_topup_eur"], c["max_topup_eur"])
    if scope == "general":
        c["grace_period_months"] = np.minimum(c["grace_period_months"], c["term_months"] - 1)


def _renormalise(rows: list[np.ndarray], fallback: list[float]) -> list[np.ndarray]:
    """Divide a weight group by its per-set sum where it is off 1 by more than 1e-9 ([IN-17]).

    The sum runs left to right in the given order ([GEN-4]); a set that sums to 1 within the
    tolerance keeps its weights bit for bit; a zero sum takes `fallback`.
    """
    total = rows[0].astype(np.float64)
    for row in rows[1:]:
        total = total + row
    zero = total <= 0
    scale = ~zero & (np.abs(total - 1.0) > SUM_TOLERANCE)
    safe = np.where(scale, total, 1.0)
    return [np.where(zero, fb, np.where(scale, row / safe, row)) for row, fb in zip(rows, fallback, strict=True)]


def renormalise_vendor_weights(c: dict[str, np.ndarray]) -> None:
    """Vendor weights renormalised per set; all zero → cost 1, the others 0 ([IN-17])."""
    rows = _renormalise([c[k].astype(np.float64) for k in VENDOR_WEIGHTS], [1.0, 0.0, 0.0])
    for key, row in zip(VENDOR_WEIGHTS, rows, strict=True):
        c[key] = row


def long_rows(
    values: ParamValues, scope: str, path: str, data: Any, gpu_keys: list[str], stress: Stress | None = None
) -> dict[str, np.ndarray]:
    """Columns (index, key, value) of a map-valued key per parameter set; weight groups renormalised (IN-17).

    Rows are ordered by param_set_id, then key in UTF-8 byte order (GPU keys normalised, [IN-10]).
    """
    _, mapping = leaf_value(data, path)
    entries = dict(mapping or {})
    if path == "client_gpu_mix" and not entries:
        # The one default that depends on other inputs (the curated GPUs): the resolved record holds
        # client_gpu_mix as unset, and each parameter set gets the equal split here [PRV-6] [V12-5].
        entries = dict.fromkeys(gpu_keys, 1.0)
    label = {name: gpu_key(name) if path in GPU_MAPS else name for name in entries}
    names = sorted(entries, key=lambda s: label[s].encode())
    n = values.plan.param_sets
    per_key = [overlay_column(entries[k], _variable_for(values, scope, f"{path}.{k}"), n) for k in names]
    per_key = [
        stress_column(np.asarray(col, dtype=np.float64), scope, f"{path}.{k}", stress)
        for col, k in zip(per_key, names, strict=True)
    ]
    if f"{scope}.{path}" in WEIGHT_GROUPS and names:
        per_key = _renormalise(per_key, [1.0 / len(names)] * len(names))
    columns = _index_columns(values, repeat=len(names))
    keys = np.empty(n * len(names), dtype=object)
    keys[:] = [label[k] for k in names] * n
    columns["key"] = keys
    # Set-major order: set 0 (all keys), set 1 (all keys), …
    columns["value"] = np.stack(per_key, axis=1).reshape(-1) if names else np.empty(0, dtype=np.float64)
    return columns


def write_params(
    con: duckdb.DuckDBPyConnection,
    values: ParamValues,
    docs: dict[str, Any],
    gpu_keys: list[str],
    stress: Stress | None = None,
) -> dict[str, int]:
    """Create params_<scope>, the map tables and the long `params` table; returns row counts.

    With a `stress`, its edits are applied after the variables overlay ([IN-21]); `params` (the variable
    values) is the same as the base's.
    """
    counts: dict[str, int] = {}
    for scope, data in docs.items():
        if data is None:
            continue
        schema, columns = wide_columns(values, scope, data, stress)
        counts[f"params_{scope}"] = create_table(con, f"params_{scope}", schema, columns)
        described = {column: key_comment(scope, path, OVERLAID) for path, column, _ in scalar_keys(scope)}
        purpose = f"the scalar keys of {file_title(scope)} per parameter set, as the models read them [IN-16] [IN-17]"
        comment_on(con, f"params_{scope}", purpose, INDEX_COMMENTS | described)
        for path, (table, key_col, value_col) in MAP_GROUPS.get(scope, {}).items():
            rows = long_rows(values, scope, path, data, gpu_keys, stress)
            rows[key_col] = rows.pop("key")
            rows[value_col] = rows.pop("value")
            types = {**INDEX_TYPES, key_col: "VARCHAR", value_col: "DOUBLE"}
            counts[table] = create_table(con, table, types, rows)
            comment_on(
                con,
                table,
                f"{file_title(scope)} {path} per parameter set, one row per key [IN-16] [IN-17]",
                {
                    **INDEX_COMMENTS,
                    key_col: f"a key of {path} (GPU keys normalised [IN-10]) [unit: id]",
                    value_col: key_comment(scope, f"{path}.*", OVERLAID + ", weight groups renormalised [IN-17]"),
                },
            )
    counts["params"] = _write_long_params(con, values)
    counts["variable_levels"] = write_variable_levels(con, values)
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
    rows = create_table(con, "run_settings", schema, columns)
    described = {column: key_comment("simulation", path) for path, column, _ in scalar_keys("simulation")}
    described["eur_usd_fx_rate"] = (
        "facts/market_env.yaml finance.eur_usd_fx_rate.value: USD per 1 EUR [IN-12] [unit: ratio]"
    )
    comment_on(
        con, "run_settings", "one row: the run-level scalar keys of simulation.yaml and the FX rate [IN-6]", described
    )
    return rows


def _text_and_number(values: list[Value]) -> tuple[np.ndarray, np.ndarray]:
    """value_text (exact, [OUT-3] draw_value) and value_num (float or null) of one variable's values."""
    texts: dict[Value, str] = {}
    text = np.empty(len(values), dtype=object)
    text[:] = [texts[v] if v in texts else texts.setdefault(v, draw_value_text(v)) for v in values]
    num = np.empty(len(values), dtype=object)
    if values and not isinstance(values[0], str):
        num = np.array([float(v) for v in values], dtype=np.float64)
    return text, num


def _write_long_params(con: duckdb.DuckDBPyConnection, values: ParamValues) -> int:
    """`params`: one row per (parameter set, used variable), sets ascending, variables in plan order."""
    plan = values.plan
    k = len(plan.used)
    purpose = "the value of every used variable in every parameter set, sets ascending, variables in plan order [IN-16]"
    if k == 0:
        return create_described_table(con, "params", purpose, LONG_PARAMS_COLUMNS, {})
    cols: dict[str, Any] = _index_columns(values, repeat=k)
    for name in ("scope", "variable_id", "path", "treatment"):
        column = np.empty(plan.param_sets * k, dtype=object)
        column[:] = [getattr(v, name) for v in plan.used] * plan.param_sets
        cols[name] = column
    pairs = [_text_and_number(values.by_variable[(v.scope, v.variable_id)]) for v in plan.used]
    text = np.empty((plan.param_sets, k), dtype=object)
    num = np.empty((plan.param_sets, k), dtype=object)
    for j, (t, x) in enumerate(pairs):
        text[:, j], num[:, j] = t, x
    cols["value_text"] = text.reshape(-1)
    cols["value_num"] = num.reshape(-1)
    return create_described_table(con, "params", purpose, LONG_PARAMS_COLUMNS, cols)


def write_variable_levels(con: duckdb.DuckDBPyConnection, values: ParamValues) -> int:
    """`variable_levels`: every used discrete variable's values in `values=` order (the order [FIN-13] ranks
    a discrete variable by; its text order would rank annuity < bullet < linear)."""
    rows = [
        (v.scope, v.variable_id, draw_value_text(value), level)
        for v in values.plan.used
        if v.kind == "discrete"
        for level, value in enumerate(v.values)
    ]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(VARIABLE_LEVELS_COLUMNS)}
    purpose = "the values= of every used discrete variable in their stated order, one row per value [IN-13] [FIN-13]"
    return create_described_table(con, "variable_levels", purpose, VARIABLE_LEVELS_COLUMNS, columns)
