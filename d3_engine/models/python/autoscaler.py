"""The autoscaler [PUB-12] as an engine model: reads DuckDB tables, simulates, writes DuckDB tables.

It has the table contract of a SQL model: `EVENTS_HEADER` and `SUMMARY_HEADER` declare the two
tables it writes (`public_scaling_events`, `public_autoscaling_summary`), checked after it runs. It
reads the representative path's rows of `public_model_month` (admitted models; months with
tokens > 0) and the autoscaling policy of that path's parameter set from `params_public_tap`, and
runs `autoscaler.simulate` (numpy, all (model, month) series at once).

The simulator never feeds the P&L. Its fingerprint is the source text of `autoscaler.py` ([OUT-7]).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import create_table
from d3_engine.models.graph import Model
from d3_engine.models.header import parse_header
from d3_engine.models.python import autoscaler_core as autoscaler
from d3_engine.models.python.autoscaler_core import AutoscalerPolicy, AutoscalerResult, Series, simulate

if TYPE_CHECKING:
    import duckdb

DEPS = ["public_model_month", "representative_path"]
EVENTS_TABLE = "public_scaling_events"
SUMMARY_TABLE = "public_autoscaling_summary"

EVENTS_HEADER = parse_header(
    """
-- model: public_scaling_events
-- version: 1
-- purpose: the autoscaler's scaling events on the representative path, one per replica change [PUB-12]
-- pipelines: public
-- grain: model, month, timestamp_s
-- columns:
--   path_id BIGINT <id>  the representative path [FIN-12]
--   timestamp_s BIGINT <seconds>  k·Δ, seconds into the simulated day [PUB-12]
--   model VARCHAR <id>  model identity [IN-11]
--   gpu VARCHAR <id>  g*(m) [PUB-4]
--   month BIGINT <month>  plan month t
--   demand_tokens_per_hour DOUBLE <tokens/hour>  D_k, the demand at step k [PUB-12]
--   effective_capacity DOUBLE <tokens/hour>  C_k, the capacity of the warm replicas [PUB-12]
--   replicas_prev BIGINT <count>  replicas before the event [PUB-12]
--   replicas_new BIGINT <count>  replicas after the event [PUB-12]
--   reason VARCHAR <text>  scale_up | scale_down [PUB-12]
--   util_pct DOUBLE <percent>  utilisation that triggered the event [PUB-12]
""",
    "d3_engine/models/python/autoscaler.py",
)
SUMMARY_HEADER = parse_header(
    """
-- model: public_autoscaling_summary
-- version: 1
-- purpose: the autoscaler's summary per simulated model, then `ALL` (always present) [PUB-12]
-- pipelines: public
-- grain: row_order
-- columns:
--   path_id BIGINT <id>  the representative path [FIN-12]
--   row_order BIGINT <id>  models in byte order, then ALL
--   model VARCHAR <id>  model identity, or ALL [IN-11]
--   gpu VARCHAR <id>  g*(m) (empty for ALL) [PUB-4]
--   months_simulated BIGINT <months>  months with tokens > 0 [PUB-12]
--   steps BIGINT <count>  evaluation steps simulated [PUB-12]
--   avg_util_pct DOUBLE <percent>  mean utilisation (null when nothing is simulated) [PUB-12]
--   p95_util_pct DOUBLE <percent>  95th percentile of utilisation [PUB-12]
--   sla_violations BIGINT <count>  steps with demand above capacity [PUB-12]
--   scale_events BIGINT <count>  scaling events [PUB-12]
--   max_replicas BIGINT <count>  most replicas at once [PUB-12]
""",
    "d3_engine/models/python/autoscaler.py",
)
EVENTS_SCHEMA = EVENTS_HEADER.schema()
SUMMARY_SCHEMA = SUMMARY_HEADER.schema()

_POLICY_COLUMNS = {
    "target_utilization_pct": "target_utilization_pct",
    "peak_factor": "peak_factor",
    "min_instances": "min_instances_per_model",
    "max_instances": "max_instances_per_model",
    "evaluation_interval_s": "evaluation_interval_s",
    "scale_up_threshold_pct": "scale_up_threshold_pct",
    "scale_down_threshold_pct": "scale_down_threshold_pct",
    "scale_up_step": "scale_up_step_replicas",
    "scale_down_step": "scale_down_step_replicas",
    "stabilization_window_s": "stabilization_window_s",
    "warmup_s": "warmup_s",
    "cooldown_s": "cooldown_s",
}
_INT_FIELDS = {
    "min_instances",
    "max_instances",
    "evaluation_interval_s",
    "scale_up_step",
    "scale_down_step",
    "stabilization_window_s",
    "warmup_s",
    "cooldown_s",
}


def read_policy(con: duckdb.DuckDBPyConnection, param_set_id: int) -> AutoscalerPolicy:
    """The `autoscaling.*` policy of one parameter set (after the IN-16 clamps)."""
    columns = ", ".join(_POLICY_COLUMNS.values())
    rows = con.execute(f"SELECT {columns} FROM params_public_tap WHERE param_set_id = ?", [param_set_id]).fetchall()
    values: dict[str, Any] = {}
    for name, value in zip(_POLICY_COLUMNS, rows[0], strict=True):
        values[name] = int(value) if name in _INT_FIELDS else float(value)
    return AutoscalerPolicy(**values)


def read_series(con: duckdb.DuckDBPyConnection, path_id: int) -> list[Series]:
    """Every (admitted model, month with tokens > 0) of one path, with avg_tph = tokens/720 and tps(m, g*)."""
    rows = con.execute(
        """SELECT model, gpu, month, avg_tokens_per_hour, tps
           FROM public_model_month
           WHERE path_id = ? AND tokens > 0
           ORDER BY model, month""",
        [path_id],
    ).fetchall()
    return [Series(str(m), str(g), int(t), float(avg), float(tps)) for m, g, t, avg, tps in rows]


def write_result(con: duckdb.DuckDBPyConnection, path_id: int, result: AutoscalerResult) -> int:
    """Create both output tables; returns the number of rows written."""
    events: dict[str, list[Any]] = {c: [] for c in EVENTS_SCHEMA}
    for event in result.events:
        events["path_id"].append(path_id)
        for column in EVENTS_SCHEMA:
            if column != "path_id":
                events[column].append(event[column])
    summary: dict[str, list[Any]] = {c: [] for c in SUMMARY_SCHEMA}
    for order, row in enumerate(result.summary):
        summary["path_id"].append(path_id)
        summary["row_order"].append(order)
        for column in SUMMARY_SCHEMA:
            if column not in ("path_id", "row_order"):
                summary[column].append(row[column])
    return create_table(con, EVENTS_TABLE, EVENTS_SCHEMA, events) + create_table(
        con, SUMMARY_TABLE, SUMMARY_SCHEMA, summary
    )


def run_autoscaler(con: duckdb.DuckDBPyConnection) -> int:
    """Simulate the representative path [PUB-12] and write the two tables; returns the row count."""
    rep = con.execute("SELECT path_id, param_set_id FROM representative_path").fetchall()
    path_id, param_set_id = int(rep[0][0]), int(rep[0][1])
    result = simulate(read_series(con, path_id), read_policy(con, param_set_id))
    return write_result(con, path_id, result)


def model() -> Model:
    """The autoscaler as a DAG model (name, version and fingerprint source from autoscaler.py)."""
    return Model(
        name=autoscaler.MODEL_NAME,
        version=autoscaler.MODEL_VERSION,
        deps=list(DEPS),
        layer="30_public",
        python=run_autoscaler,
        fingerprint_source=Path(autoscaler.__file__).read_text(encoding="utf-8"),
        pipelines=["public"],
        python_tables=[EVENTS_HEADER, SUMMARY_HEADER],
    )
