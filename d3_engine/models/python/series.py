"""The monthly series tables as engine models: `p<q>` rows per [GEN-5] and the representative path's `rep` rows
([FIN-11]) of a per-path model, one table per series artefact ([OUT-4]).

| table | per-path model | keys | artefact |
|---|---|---|---|
| pnl_by_month, cashflow_by_month, balance_sheet_by_month | finance_month | month (+ period, rep's) | `<table>.csv` |
| public_tap_scenarios | public_horizon | – | public_tap_scenarios.csv |
| public_tap_customers_by_month | public_customers_path | month | public_tap_customers_by_month.csv |
| private_tap_customers_by_month | private_customers_by_month | month | private_tap_customers_by_month.csv |

Each model reads its per-path table across every path, the configured percentiles (`input_percentiles`) and
the representative path (`representative_path`), and builds its table with `series.build_series` (order
statistics selected in numpy, chunked, memory flat in paths). Its header is generated from the per-path model's
(`series_header`): a column is declared once, in the per-path model, and the artefact's columns (in file order)
are the header's `-- artefact:` list. The models run across paths, after the batches and before the scratch
database is dropped; the exporters copy their rows, the report reads them.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from d3_engine.models.graph import Model
from d3_engine.models.header import ModelHeader
from d3_engine.models.series import build_series
from d3_engine.models.series_header import header_text, series_header

if TYPE_CHECKING:
    import duckdb

LAYER = "60_consolidation"
FINANCE_SOURCE = "finance_month"
FINANCE_FILES = ("pnl_by_month", "cashflow_by_month", "balance_sheet_by_month")
PERIOD = ("period",)
"""finance_month's calendar label: a percentile row shows the representative path's ([OUT-3])."""


@dataclass(frozen=True)
class SeriesSpec:
    """One series table: what it aggregates and the file it feeds."""

    table: str
    source: str
    purpose: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    passthrough: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        """The artefact the rows go to."""
        return f"{self.table}.csv"

    def file_columns(self) -> list[str]:
        """The artefact's columns in file order: series, the keys, the passthrough, the values."""
        return ["series", *self.keys, *self.passthrough, *self.values]


def percentiles_of(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The configured percentiles, ascending (simulation.yaml stochastic.percentiles, strictly ascending)."""
    return [int(r[0]) for r in con.execute("SELECT p FROM input_percentiles ORDER BY p").fetchall()]


def rep_path_of(con: duckdb.DuckDBPyConnection) -> int:
    """The representative path's id [FIN-12]."""
    return int(con.execute("SELECT path_id FROM representative_path").fetchall()[0][0])


def _columns_but(header: ModelHeader, drop: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(c.name for c in header.columns if c.name not in drop)


def series_specs(sources: Mapping[str, ModelHeader]) -> list[SeriesSpec]:
    """Every series table, its value columns read from its per-path model's header."""
    finance = sources[FINANCE_SOURCE]
    specs = [
        SeriesSpec(
            name, FINANCE_SOURCE, f"{name}.csv by month", ("month",), tuple(finance.artefacts[f"{name}.csv"]), PERIOD
        )
        for name in FINANCE_FILES
    ]
    horizon = sources["public_horizon"]
    specs.append(
        SeriesSpec(
            "public_tap_scenarios",
            "public_horizon",
            "public_tap_scenarios.csv: horizon totals",
            (),
            tuple(horizon.artefacts["public_tap_scenarios.csv"]),
        )
    )
    public = sources["public_customers_path"]
    specs.append(
        SeriesSpec(
            "public_tap_customers_by_month",
            "public_customers_path",
            "public_tap_customers_by_month.csv by month",
            ("month",),
            _columns_but(public, ("path_id", "param_set_id", "month")),
        )
    )
    private = sources["private_customers_by_month"]
    specs.append(
        SeriesSpec(
            "private_tap_customers_by_month",
            "private_customers_by_month",
            "private_tap_customers_by_month.csv by month",
            ("month",),
            _columns_but(private, ("path_id", "month")),
        )
    )
    return specs


def spec_header(spec: SeriesSpec, source: ModelHeader) -> ModelHeader:
    """The series table's header, generated from its per-path model's."""
    return series_header(
        spec.table,
        source,
        spec.purpose,
        spec.keys,
        spec.values,
        spec.passthrough,
        {spec.file: spec.file_columns()},
        f"d3_engine/models/python/series.py ({spec.table})",
    )


def builder(spec: SeriesSpec) -> Callable[[duckdb.DuckDBPyConnection], int]:
    """The model's function: build the series table of `spec`; returns its row count."""

    def build(con: duckdb.DuckDBPyConnection) -> int:
        return build_series(
            con,
            spec.table,
            spec.source,
            list(spec.keys),
            list(spec.values),
            percentiles_of(con),
            rep_path_of(con),
            list(spec.passthrough),
        )

    return build


def series_model(
    name: str,
    tables: list[ModelHeader],
    deps: list[str],
    build: Callable[[duckdb.DuckDBPyConnection], int],
    source: str,
) -> Model:
    """An across-paths Python model `name` writing `tables` (in that order); fingerprint: the module's `source`
    and the generated headers."""
    return Model(
        name=name,
        version=tables[-1].version,
        deps=deps,
        layer=LAYER,
        python=build,
        fingerprint_source=source + "".join(header_text(h) for h in tables),
        pipelines=list(tables[-1].pipelines),
        python_tables=tables,
    )


def models(sources: Mapping[str, ModelHeader]) -> list[Model]:
    """The series models [GEN-5] [FIN-11] over the per-path model headers `sources` (table name → header)."""
    source = inspect.getsource(sys.modules[__name__])
    return [
        series_model(
            spec.table,
            [spec_header(spec, sources[spec.source])],
            [spec.source, "representative_path"],
            builder(spec),
            source,
        )
        for spec in series_specs(sources)
    ]
