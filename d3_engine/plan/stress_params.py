"""A stress applied to the parameter columns of every set ([IN-21]).

After the variables overlay, per parameter set: `set` replaces a key's value, `scale` multiplies it in
exact decimal (rounded half away from zero to 6 decimals, no lattice snapping). A value is then clamped
into its key's range, so a drawn set can never leave it; the default set and the grid points were
validated with the stress applied, so the clamp changes only drawn sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from d3_engine.core.db import Described, create_described_table
from d3_engine.core.formats import float_to_decimal
from d3_engine.inputs.stresses import Stress, key_node, scaled

if TYPE_CHECKING:
    import duckdb


def stress_column(column: np.ndarray, scope: str, path: str, stress: Stress | None) -> np.ndarray:
    """The column of one operator leaf with the stress's edit of `scope.path` applied (unchanged if none)."""
    if stress is None:
        return column
    edit = stress.edits(scope).get(path)
    if edit is None:
        return column
    kind, value = edit
    if kind == "set":
        if column.dtype == np.int64 and isinstance(value, int):
            return np.full(len(column), value, dtype=np.int64)
        if column.dtype == np.float64 and isinstance(value, int | float) and not isinstance(value, bool):
            return _clamped(np.full(len(column), float(value), dtype=np.float64), scope, path)
        out = np.empty(len(column), dtype=object)
        out[:] = value
        return out
    return _clamped(_scaled(column, value), scope, path)


def _scaled(column: np.ndarray, factor: Decimal) -> np.ndarray:
    """Each value × factor, exactly; the few distinct values of a column are scaled once each."""
    distinct, inverse = np.unique(column.astype(np.float64), return_inverse=True)
    results = np.array([float(scaled(float_to_decimal(float(x)), factor)) for x in distinct], dtype=np.float64)
    return results[inverse.reshape(-1)]


def _clamped(column: np.ndarray, scope: str, path: str) -> np.ndarray:
    """Clamp into the key's schema range ([IN-16] for drawn sets)."""
    node = key_node(scope, path)
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if low is not None:
        column = np.maximum(column, float(low))
    if high is not None:
        column = np.minimum(column, float(high))
    return column


__all__ = ["stress_column"]


STRESS_SCENARIOS_COLUMNS: Described = {
    "scenario": ("BIGINT", "0 = the base run, s = stress test s in input order [IN-21] [unit: id]"),
    "scenario_name": ("VARCHAR", "base, or the stress test's name in simulation.yaml [IN-21] [unit: text]"),
}


def write_stress_scenarios(con: duckdb.DuckDBPyConnection, stresses: Sequence[Stress]) -> int:
    """`stress_scenarios`: the base (scenario 0) and every stress test in input order, with its name."""
    columns: dict[str, list[Any]] = {
        "scenario": [0, *(s.scenario for s in stresses)],
        "scenario_name": ["base", *(s.name for s in stresses)],
    }
    purpose = "the scenarios of the what-if tables: the base, then every stress test of simulation.yaml [IN-21]"
    return create_described_table(con, "stress_scenarios", purpose, STRESS_SCENARIOS_COLUMNS, columns)
