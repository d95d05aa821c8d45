"""Which models run once, which run batch by batch, and which per-path tables a run keeps ([PERF], issue 13).

A model's scope follows from its header and its place in the DAG:
- **plan**: no `path_id` in its grain and no per-path model upstream (prices, vendors, loan schedule):
  computed once, before the paths.
- **path**: `path_id` leads its grain and its rows of a path depend on that path alone (demand, the
  statements, the path KPIs): computed batch by batch on consecutive path-id ranges, each batch a pure
  function of the plan, the inputs and its range. `-- scope: across paths` in a header says otherwise.
  A per-path model reads of a per-set table (a `param_set_id` column) the rows of its own path's set only:
  a batch sees those tables through views of its own parameter sets (pipeline/databases.scope_batch), so a
  model that needs another set's rows (a base replicate, say) must say `-- scope: across paths` instead.
- **across**: everything that reads many paths at once (the representative path, risk by month, the
  annual and KPI summaries, the autoscaler of the representative path): computed once, after every batch.

Per-path tables a user reads (the monthly statements, customers, the path KPIs and risk) stay whole in
run.duckdb; the others (noise, per-path × per-model rows, intermediate finance steps) keep only the
representative path's rows unless the run is asked to keep every path (`--keep-path-tables`). Those an
export still reads across paths wait in a scratch database until the exports are done.
"""

from __future__ import annotations

from dataclasses import dataclass

from d3_engine.models.graph import Model

#: Per-path tables kept with every path in run.duckdb by default: the monthly statements, customers and
#: KPIs of each path (what the exports, the report and `d3 backtest` read across paths). At 100 000 paths
#: × 36 months they take about 0.85 GB (pipeline/appends.py); the tap months and segments keep the representative
#: path only.
KEPT_PER_PATH: frozenset[str] = frozenset(
    {
        "paths",
        "public_customers_path",
        "private_customers_by_month",
        "public_horizon",
        "public_credit_packs",
        "finance_month",
        "annual_path",
        "risk_path_month",
        "finance_path_kpis",
        "consolidated_path_kpis",
        "risk_path",
    }
)


#: Per-path tables read across paths after the batches but not kept whole: held in a scratch database
#: for the run and deleted before it is published (the capacity plan's percentiles and violations, with
#: the served models' rows; the acceptance checks on every path's tap months).
SCRATCH_PER_PATH: frozenset[str] = frozenset({"public_served_month", "public_month", "private_month"})

#: The columns a scratch table keeps of every path: those its readers across paths use (the acceptance checks
#: on public_month and private_month, and ACC-A5 on public_served_month; the capacity plan's percentile columns
#: and violation flag, `capacity_plan.value_columns` of public_capacity_path's header, and the capacity export).
#: The representative path keeps every column (its own batch). A reader that needs another column fails with
#: DuckDB's "column not found" (exit 3): add the column here.
SCRATCH_COLUMNS: dict[str, tuple[str, ...]] = {
    "public_month": ("path_id", "param_set_id", "month", "active_customers", "credit_balance_eur"),
    "private_month": ("path_id", "param_set_id", "month", "active_clients"),
    "public_served_month": (
        "path_id",
        "param_set_id",
        "month",
        "model",
        "tokens",
        "avg_tokens_per_hour",
        "peak_tokens_per_hour",
        "instances_needed",
        "instances",
        "instance_hours",
        "max_instances_per_model",
        "capacity_violation",
        "gpu_cost_eur",
    ),
}

#: The model that picks the representative path; once it is built, the per-path models run once more on
#: that path alone so every per-path table that is not kept whole holds its rows ([FIN-12]).
REPRESENTATIVE = "representative_path"


@dataclass(frozen=True)
class Scoped:
    """The models of a run split by scope, each list in DAG order."""

    plan: list[Model]
    path: list[Model]
    across: list[Model]

    def path_tables(self) -> list[str]:
        """Every table the per-path models write, in DAG order."""
        return [t.name for m in self.path for t in m.tables]


def upstream_of(models: list[Model], targets: frozenset[str]) -> list[Model]:
    """The models `targets` need (themselves included), in the given DAG order."""
    by_name = {m.name: m for m in models}
    needed: set[str] = set()
    todo = [t for t in targets if t in by_name]
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo += [d for d in by_name[name].deps if d in by_name]
    return [m for m in models if m.name in needed]


def _per_path(model: Model) -> bool:
    headers = model.tables
    if not headers or any(h.scope == "across paths" for h in headers):
        return False
    return all(h.grain[:1] == ["path_id"] for h in headers)


def split_by_scope(models: list[Model]) -> Scoped:
    """Split DAG-ordered models into plan, path and across (each keeps the DAG order).

    A model downstream of a per-path model is itself per-path only when its own grain is per path;
    otherwise it reads many paths and runs after the batches.
    """
    plan: list[Model] = []
    path: list[Model] = []
    across: list[Model] = []
    path_names: set[str] = set()
    across_names: set[str] = set()
    for model in models:
        upstream_path = any(d in path_names for d in model.deps)
        upstream_across = any(d in across_names for d in model.deps)
        if _per_path(model) and not upstream_across:
            path.append(model)
            path_names.add(model.name)
        elif upstream_path or upstream_across:
            across.append(model)
            across_names.add(model.name)
        else:
            plan.append(model)
    return Scoped(plan, path, across)
