"""The artefacts that copy a model's table, and which of its columns they leave out ([OUT-4], [OUT-12]).

An artefact's header is its model's header (`writers.model_columns`): a column is declared once, in the model
(name, type, unit, DOMAIN id), and the CSV takes the names in the model's order. What an artefact leaves out is
the parameter-set coordinates (the file shows one parameter set, [FIN-12]) or a column the model keeps only for
run.duckdb. `tests/unit/test_artefact_headers.py` compares every file below with its model's header.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core.formats import write_csv
from d3_engine.export.writers import (
    SCOPE_ORDER,
    artefact_columns,
    export_columns,
    export_model,
    file_column,
    model_columns,
)

if TYPE_CHECKING:
    import duckdb

PARAMETER_SET_KEYS = ("param_set_id", "grid_index", "replicate_index")
VENDOR_WEIGHTS = ("weight_cost", "weight_availability", "weight_reputation")


@dataclass(frozen=True)
class ModelArtefact:
    """A CSV artefact whose rows are one model's table.

    `optional` columns are in the file only when the run needs them (grid_index when G > 1).
    """

    file: str
    table: str
    drop: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    def columns(self, with_optional: bool = True) -> list[str]:
        """The artefact's header: the model's columns without `drop` (and without `optional` unless asked), in the
        file's spelling (`writers.file_column`)."""
        return [file_column(c) for c in model_columns(self.table, self.drop + (() if with_optional else self.optional))]

    def export(
        self,
        con: duckdb.DuckDBPyConnection,
        run_dir: Path,
        order_by: str,
        where: str = "TRUE",
        with_optional: bool = True,
        **csv: Any,
    ) -> int:
        """Write the file from the model's table, ordered; returns the row count."""
        drop = self.drop + (() if with_optional else self.optional)
        return export_model(con, self.table, run_dir / self.file, order_by, drop, where, **csv)


@dataclass(frozen=True)
class SeriesArtefact:
    """A CSV artefact of the `p<q>`/`rep` rows of a series model (`models/python/series.py`, the capacity plan):
    its columns are the model header's `-- artefact:` list for the file (generated from the per-path model's
    header), its rows ordered by series, then `keys`."""

    file: str
    table: str
    keys: tuple[str, ...]

    def columns(self) -> list[str]:
        """The artefact's header, in file order."""
        return artefact_columns(self.table, self.file)

    def export(self, con: duckdb.DuckDBPyConnection, run_dir: Path) -> int:
        """Write the file from the model's table, ordered; returns the row count."""
        order = ", ".join(["series_order", *self.keys])
        return export_columns(con, self.table, run_dir / self.file, self.columns(), order)


@dataclass(frozen=True)
class GridArtefact:
    """grid_kpis.csv ([OUT-12]): a model's `-- artefact:` list in which the list column `spread` stands for one
    column per grid axis, named scope.variable_id by the `grid_axes` model (`column_name`, in axis order). The axis
    names are data of the run (one per swept variable); every other column is the model header's."""

    file: str
    table: str
    spread: str
    order_by: str

    def columns(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        """The artefact's header for this run, in file order."""
        names = axis_names(con)
        return [n for c in artefact_columns(self.table, self.file) for n in (names if c == self.spread else [c])]

    def export(self, con: duckdb.DuckDBPyConnection, run_dir: Path, **csv: Any) -> int:
        """Write the file from the model's table, the list spread over its axis columns; returns the row count."""
        axes = range(1, len(axis_names(con)) + 1)
        cells = [
            cell
            for c in artefact_columns(self.table, self.file)
            for cell in ([f'"{c}"[{i}]' for i in axes] if c == self.spread else [f'"{c}"'])
        ]
        rows = con.execute(f'SELECT {", ".join(cells)} FROM "{self.table}" ORDER BY {self.order_by}').fetchall()
        write_csv(run_dir / self.file, self.columns(con), rows, **csv)
        return len(rows)


def axis_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One column name per grid axis, scope.variable_id, in axis order ([OUT-12]; the `grid_axes` model)."""
    return [r[1] for r in con.execute("SELECT DISTINCT axis, column_name FROM grid_axes ORDER BY axis").fetchall()]


VARIABLE_DRAWS = ModelArtefact("variable_draws.csv", "variable_draws")
SENSITIVITY = ModelArtefact("sensitivity.csv", "sensitivity")
ANNUAL_SUMMARY = ModelArtefact("annual_summary.csv", "annual_summary")
RISK_BY_MONTH = ModelArtefact("risk_by_month.csv", "risk_by_month", optional=("grid_index",))
LOAN_SCHEDULE = ModelArtefact("loan_schedule.csv", "loan_schedule", PARAMETER_SET_KEYS)
PRIVATE_ECONOMICS = ModelArtefact("private_tap_economics.csv", "private_economics", PARAMETER_SET_KEYS)
PRIVATE_VENDORS = ModelArtefact(
    "private_vendor_recommendation.csv", "private_vendor_recommendation", PARAMETER_SET_KEYS + VENDOR_WEIGHTS
)
STRESS_TESTS = ModelArtefact(
    "stress_tests.csv", "stress_tests", ("scenario_index", "metric_order"), optional=("grid_index",)
)
PRIVATE_CUSTOMERS = SeriesArtefact("private_tap_customers_by_month.csv", "private_tap_customers_by_month", ("month",))
VENDOR_CHOICE = ModelArtefact("public_vendor_choice.csv", "public_gpu_choice", ("param_set_id", "choice_rank"))
PUBLIC_PRICES = ModelArtefact("public_tap_prices_per_model.csv", "public_tap_prices_per_model", ("param_set_id",))
PUBLIC_SCENARIOS = SeriesArtefact("public_tap_scenarios.csv", "public_tap_scenarios", ())
PUBLIC_CUSTOMERS = SeriesArtefact("public_tap_customers_by_month.csv", "public_tap_customers_by_month", ("month",))
CAPACITY_PLAN = SeriesArtefact("public_tap_capacity_plan.csv", "public_tap_capacity_plan", ("month", "model"))
GRID_KPIS = GridArtefact("grid_kpis.csv", "grid_kpis", "grid_values", "grid_index, metric_order")
MONTHLY_FINANCE = tuple(
    SeriesArtefact(f"{name}.csv", name, ("month",))
    for name in ("pnl_by_month", "cashflow_by_month", "balance_sheet_by_month")
)

MODEL_ARTEFACTS: tuple[ModelArtefact | SeriesArtefact, ...] = (
    VARIABLE_DRAWS,
    SENSITIVITY,
    ANNUAL_SUMMARY,
    RISK_BY_MONTH,
    STRESS_TESTS,
    LOAN_SCHEDULE,
    PRIVATE_ECONOMICS,
    PRIVATE_VENDORS,
    PRIVATE_CUSTOMERS,
    VENDOR_CHOICE,
    PUBLIC_PRICES,
    PUBLIC_SCENARIOS,
    PUBLIC_CUSTOMERS,
    CAPACITY_PLAN,
    *MONTHLY_FINANCE,
)
"""Every artefact whose header a model's header drives (the test reads this list)."""


def export_variable_draws(con: duckdb.DuckDBPyConnection, run_dir: Path) -> int:
    """variable_draws.csv [RNG-6]: the `variable_draws` model, one row per (grid_index, replicate_index, used
    variable), sets ascending, then scope, then variable_id."""
    return VARIABLE_DRAWS.export(con, run_dir, f"grid_index, replicate_index, {SCOPE_ORDER}, variable_id")
