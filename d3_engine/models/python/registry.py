"""The registry of Python models: every engine model that is a Python function, not a SQL file.

Each declares the tables it writes with a header (`python_tables`), checked like a SQL model's. The series
models generate theirs from the headers of the per-path SQL models they aggregate.
"""

from __future__ import annotations

from functools import lru_cache

from d3_engine.models.graph import Model, discover_models
from d3_engine.models.header import ModelHeader
from d3_engine.models.python import autoscaler, capacity_plan, finance_cash, loan, public_fold, sensitivity, series


def python_models(sql_models: dict[str, Model]) -> list[Model]:
    """The autoscaler [PUB-12], the ordered token fold of the public month [PUB-9], the loan schedule [FIN-3],
    the CPI-indexed fixed costs [FIN-1], the funding recurrence [FIN-7a], the sensitivity [FIN-13], the series
    tables [GEN-5] [FIN-11] and the capacity plan [PUB-11] (these two over the headers of `sql_models`)."""
    sources = {t.name: t for m in sql_models.values() for t in m.tables}
    return [
        autoscaler.model(),
        public_fold.model(),
        loan.model(),
        loan.cpi_model(),
        finance_cash.model(),
        sensitivity.model(),
        *series.models(sources),
        capacity_plan.model(sources),
    ]


def all_models() -> dict[str, Model]:
    """Every engine model of every pipeline, keyed by name: the SQL files and the Python models."""
    found = discover_models()
    for model in python_models(found):
        found[model.name] = model
    return found


@lru_cache(maxsize=1)
def table_headers() -> dict[str, ModelHeader]:
    """The header of every table a model builds, keyed by table name (what exporters and comments read)."""
    return {h.name: h for m in all_models().values() for h in m.tables}
