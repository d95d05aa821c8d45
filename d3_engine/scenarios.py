"""Grid × replicates × Monte Carlo: the plan and the effective parameters of every set (RNG-3, IN-16).

A parameter set is one (grid_index, replicate_index). Every used variable gets one value per set
(fixed → default, low_to_high → its grid axis value, random → a keyed draw); the values are
overlaid on the operator YAML column-wise, clamped where IN-16 says so, and handed to DuckDB as
wide `params_<scope>` tables that every model reads.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from d3_engine.formats import draw_value_text
from d3_engine.rng import SCOPE_IDS, draw_variable
from d3_engine.variables import Variable

PIPELINE_SCOPES = {"public": "public_tap", "private": "private_tap"}


@dataclass
class Plan:
    """The shape of a run: grid axes, replicate and MC counts, and the used variables."""

    used: list[Variable]
    grid_vars: list[Variable]
    random_vars: list[Variable]
    grid_points: list[tuple[Decimal | str, ...]]
    replicates: int
    mc: int
    horizon: int

    @property
    def grid_size(self) -> int:
        return len(self.grid_points)

    @property
    def param_sets(self) -> int:
        return self.grid_size * self.replicates

    @property
    def paths(self) -> int:
        return self.param_sets * self.mc


def used_scopes(pipelines: list[str]) -> list[str]:
    """Scopes whose variables take part: general always, a tap's scope when it runs (IN-16)."""
    return ["general"] + [PIPELINE_SCOPES[p] for p in ("public", "private") if p in pipelines]


def build_plan(variables: list[Variable], pipelines: list[str], replicates: int, mc: int, horizon: int) -> Plan:
    """Grid axes ordered by scope_id then variable_id bytes; the last axis varies fastest (RNG-3)."""
    scopes = used_scopes(pipelines)
    used = sorted(
        (v for v in variables if v.scope in scopes), key=lambda v: (SCOPE_IDS[v.scope], v.variable_id.encode())
    )
    grid_vars = [v for v in used if v.treatment == "low_to_high"]
    random_vars = [v for v in used if v.treatment == "random"]
    points: list[tuple[Decimal | str, ...]] = list(itertools.product(*(v.values for v in grid_vars)))
    return Plan(used, grid_vars, random_vars, points, replicates, mc, horizon)


@dataclass
class ParamValues:
    """One value per parameter set (index grid_index·R + replicate_index) for every used variable."""

    plan: Plan
    by_variable: dict[tuple[str, str], list[Decimal | str]] = field(default_factory=dict)


def variable_values(plan: Plan, seed: int) -> ParamValues:
    """Values of every used variable in every parameter set."""
    out = ParamValues(plan)
    r = plan.replicates
    for variable in plan.used:
        key = (variable.scope, variable.variable_id)
        if variable.treatment == "fixed":
            out.by_variable[key] = [variable.default] * plan.param_sets
        elif variable.treatment == "low_to_high":
            axis = plan.grid_vars.index(variable)
            out.by_variable[key] = [point[axis] for point in plan.grid_points for _ in range(r)]
        else:
            values: list[Decimal | str] = []
            for grid_index in range(plan.grid_size):
                values.extend(draw_variable(seed, variable.spec, grid_index, r))
            out.by_variable[key] = values
    return out


def grid_points_of(plan: Plan) -> list[dict[str, Any]]:
    """A readable description of the grid axes for run_summary."""
    return [
        {"scope": v.scope, "variable_id": v.variable_id, "values": [draw_value_text(x) for x in v.values]}
        for v in plan.grid_vars
    ]


def as_number(value: Decimal | str, template: Any) -> Any:
    """Convert a variable value to the Python type of the YAML value it replaces."""
    if isinstance(value, str):
        return value
    if isinstance(template, int) and not isinstance(template, bool) and value == value.to_integral_value():
        return int(value)
    return float(value)


def overlay_column(default: Any, values: list[Decimal | str] | None, n: int) -> np.ndarray:
    """A per-set column for one operator leaf: the YAML value, or the variable's values."""
    if values is None:
        if isinstance(default, bool) or default is None or isinstance(default, str):
            column = np.empty(n, dtype=object)
            column[:] = default
            return column
        return np.full(n, float(default), dtype=np.float64)
    if isinstance(values[0], str):
        column = np.empty(n, dtype=object)
        column[:] = values
        return column
    return np.array([float(v) for v in values], dtype=np.float64)
