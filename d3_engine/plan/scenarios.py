"""Grid × replicates × Monte Carlo: the plan and the variable values of every parameter set (RNG-3, IN-16).

A parameter set is one (grid_index, replicate_index), numbered `param_set_id = grid_index·R +
replicate_index`. Every used variable gets one value per set: fixed → its default, low_to_high →
the value of its grid axis at that grid point, random → a keyed draw of [RNG-4] (one value per
(grid point, replicate), constant across the M MC iterations). `params.py` overlays these values
on the operator YAML and writes the tables the models read.

The grid is never materialised to size a plan: a plan of 10¹⁵ grid points must be refused with
`too_many_paths` ([IN-6]) in microseconds, so `GridPoints` computes a point from its index.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, overload

import numpy as np
import numpy.typing as npt

from d3_engine.core.formats import draw_value_text
from d3_engine.core.rng import CRN_GRID_POSITION, SCOPE_IDS, draw_variable
from d3_engine.inputs.variable_keys import Variable

PIPELINE_SCOPES = {"public": "public_tap", "private": "private_tap"}

Value = Decimal | str


class GridPoints(Sequence[tuple[Value, ...]]):
    """The cartesian product of the grid axes, last axis fastest ([RNG-3]), computed on demand.

    Point g has, on axis a, the value `axes[a][(g // stride_a) % len(axes[a])]` where stride_a is
    the product of the lengths of the later axes (mixed-radix digits of g).
    """

    def __init__(self, axes: Sequence[Sequence[Value]]):
        self.axes = list(axes)
        self.strides = [math.prod(len(a) for a in axes[i + 1 :]) for i in range(len(axes))]
        self.size = math.prod(len(a) for a in axes)  # 1 when there is no axis: one grid point

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> tuple[Value, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> list[tuple[Value, ...]]: ...

    def __getitem__(self, index: int | slice) -> tuple[Value, ...] | list[tuple[Value, ...]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if index < 0:
            index += self.size
        if not 0 <= index < self.size:
            raise IndexError(f"grid index {index} outside 0..{self.size - 1}")
        return tuple(axis[(index // stride) % len(axis)] for axis, stride in zip(self.axes, self.strides, strict=True))

    def __iter__(self) -> Iterator[tuple[Value, ...]]:
        return (self[i] for i in range(self.size))

    def axis_index(self, axis: int) -> npt.NDArray[np.int64]:
        """Position on `axis` of every grid point 0..G−1 (a vectorised column of digits)."""
        g = np.arange(self.size, dtype=np.int64)
        return (g // self.strides[axis]) % len(self.axes[axis])


@dataclass
class Plan:
    """The shape of a run: grid axes, replicate and MC counts, and the used variables."""

    used: list[Variable]
    grid_vars: list[Variable]
    random_vars: list[Variable]
    grid_points: GridPoints
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
    """Grid axes ordered by scope_id then variable_id bytes; the last axis varies fastest (RNG-3).

    Variables of a scope whose pipeline does not run are left out: validated, but neither in the
    grid nor in the transcript ([IN-16]).
    """
    scopes = used_scopes(pipelines)
    used = sorted(
        (v for v in variables if v.scope in scopes), key=lambda v: (SCOPE_IDS[v.scope], v.variable_id.encode())
    )
    grid_vars = [v for v in used if v.treatment == "low_to_high"]
    random_vars = [v for v in used if v.treatment == "random"]
    points = GridPoints([v.values for v in grid_vars])
    return Plan(used, grid_vars, random_vars, points, replicates, mc, horizon)


@dataclass
class ParamValues:
    """One value per parameter set (index grid_index·R + replicate_index) for every used variable."""

    plan: Plan
    by_variable: dict[tuple[str, str], list[Value]] = field(default_factory=dict)


def variable_values(plan: Plan, seed: int) -> ParamValues:
    """Values of every used variable in every parameter set ([RNG-3], [RNG-4]).

    A random variable is drawn once per replicate from its keyed stream at grid position 0 and takes
    the same value at every grid point ([RNG-9], common random numbers); the draw of replicate r never
    depends on how many grid points or which batch asked for it.
    """
    out = ParamValues(plan)
    r = plan.replicates
    for variable in plan.used:
        key = (variable.scope, variable.variable_id)
        if variable.treatment == "fixed":
            out.by_variable[key] = [variable.default] * plan.param_sets
        elif variable.treatment == "low_to_high":
            axis = plan.grid_vars.index(variable)
            digits = np.repeat(plan.grid_points.axis_index(axis), r)
            out.by_variable[key] = [variable.values[int(i)] for i in digits]
        else:
            out.by_variable[key] = draw_variable(seed, variable.spec, CRN_GRID_POSITION, r) * plan.grid_size
    return out


def grid_points_of(plan: Plan) -> list[dict[str, Any]]:
    """A readable description of the grid axes for run_summary (`grid_variables`, [OUT-7])."""
    return [
        {"scope": v.scope, "variable_id": v.variable_id, "values": [draw_value_text(x) for x in v.values]}
        for v in plan.grid_vars
    ]


def overlay_column(default: Any, values: list[Value] | None, n: int, integer: bool = False) -> np.ndarray:
    """A per-set column for one operator leaf: the YAML value, or the variable's values.

    `integer` keeps integer keys (months, counts, seconds) as int64 so a variable never turns them
    into floats; their lattice values are whole numbers ([IN-14]).
    """
    if values is None:
        if isinstance(default, bool) or default is None or isinstance(default, str):
            column = np.empty(n, dtype=object)
            column[:] = default
            return column
        if integer:
            return np.full(n, int(default), dtype=np.int64)
        return np.full(n, float(default), dtype=np.float64)
    if isinstance(values[0], str):
        column = np.empty(n, dtype=object)
        column[:] = values
        return column
    # Distinct lattice values are few: convert each once.
    cast = int if integer else float
    cache: dict[Value, int | float] = {}
    converted = [cache[v] if v in cache else cache.setdefault(v, cast(v)) for v in values]
    return np.array(converted, dtype=np.int64 if integer else np.float64)
