"""The autoscaler as an engine model: reads DuckDB tables, writes DuckDB tables [PUB-12] [OUT-7].

minimal_001 gives the rep-path rows of EX-5; the model must reproduce EX-9 (two events, summary rows)
and read the policy of the representative path's parameter set.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from d3_engine.checks.preflight import default_set_db
from d3_engine.models.python import autoscaler as autoscaler_model
from d3_engine.models.python import autoscaler_core as autoscaler
from d3_engine.pipeline.validation import validate_inputs

if TYPE_CHECKING:
    import duckdb

MINIMAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "minimal_001"


def minimal_db() -> duckdb.DuckDBPyConnection:
    """minimal_001's one path with the capacity rows built and a representative path of path 0."""
    con = default_set_db(validate_inputs(MINIMAL), ("public_model_month",), with_noise=True)
    con.execute("CREATE OR REPLACE TABLE representative_path AS SELECT 0::BIGINT AS path_id, 0::BIGINT AS param_set_id")
    return con


def table(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_model_declares_the_engine_contract() -> None:
    m = autoscaler_model.model()
    assert (m.name, m.version, m.layer, m.pipelines) == (
        "autoscaler",
        autoscaler.MODEL_VERSION,
        "30_public",
        ["public"],
    )
    assert m.deps == ["public_model_month", "representative_path"]
    source = Path(autoscaler.__file__).read_text(encoding="utf-8")
    assert m.fingerprint_source == source
    assert hashlib.sha256(m.fingerprint_source.encode()).hexdigest() == hashlib.sha256(source.encode()).hexdigest()
    assert m.python is autoscaler_model.run_autoscaler


def test_model_orders_after_its_dependencies() -> None:
    from d3_engine.pipeline.run import engine_models

    names = [m.name for m in engine_models(["public", "private"])]
    assert names.index("autoscaler") > names.index("public_model_month")
    assert names.index("autoscaler") > names.index("representative_path")


def test_ex9_events_and_summary_tables() -> None:
    con = minimal_db()
    written = autoscaler_model.run_autoscaler(con)
    events = table(con, "SELECT * FROM public_scaling_events ORDER BY model, month, timestamp_s")
    assert written == len(events) + 3
    assert [
        (e["timestamp_s"], e["model"], e["gpu"], e["month"], e["replicas_prev"], e["replicas_new"], e["reason"])
        for e in events
    ] == [(27180, "Small 7B", "GPU-A", 3, 1, 2, "scale_up"), (73680, "Small 7B", "GPU-A", 3, 2, 1, "scale_down")]
    assert [round(e["demand_tokens_per_hour"], 6) for e in events] == [3061710.923677, 3058994.432573]
    assert [e["effective_capacity"] for e in events] == [3_600_000.0, 7_200_000.0]
    assert [round(e["util_pct"], 4) for e in events] == [85.0475, 42.4860]
    summary = table(con, "SELECT * FROM public_autoscaling_summary ORDER BY row_order")
    assert [
        (
            s["model"],
            s["gpu"],
            s["months_simulated"],
            s["steps"],
            round(s["avg_util_pct"], 4),
            round(s["p95_util_pct"], 4),
            s["sla_violations"],
            s["scale_events"],
            s["max_replicas"],
        )
        for s in summary
    ] == [
        ("Large 30B", "GPU-B", 3, 4320, 16.1019, 28.5043, 0, 0, 1),
        ("Small 7B", "GPU-A", 3, 4320, 49.2469, 77.4174, 0, 2, 2),
        ("ALL", "", 6, 8640, 32.6744, 71.8969, 0, 2, 2),
    ]
    assert {s["path_id"] for s in summary} == {0}


def test_nothing_simulated_without_tokens_leaves_only_the_all_row() -> None:
    con = minimal_db()
    con.execute("UPDATE public_model_month SET tokens = 0")
    assert autoscaler_model.run_autoscaler(con) == 1
    assert table(con, "SELECT count(*) AS n FROM public_scaling_events") == [{"n": 0}]
    row = table(con, "SELECT * FROM public_autoscaling_summary")[0]
    assert (row["model"], row["months_simulated"], row["steps"], row["avg_util_pct"], row["p95_util_pct"]) == (
        "ALL",
        0,
        0,
        None,
        None,
    )


@pytest.mark.parametrize(("max_instances", "expected_events"), [(10, 2), (1, 0)])
def test_policy_comes_from_the_representative_parameter_set(max_instances: int, expected_events: int) -> None:
    con = minimal_db()
    # a second parameter set with its own policy; the representative path points at it
    con.execute(
        f"""INSERT INTO params_public_tap SELECT * REPLACE (1 AS param_set_id, 1 AS replicate_index,
            {max_instances} AS max_instances_per_model) FROM params_public_tap WHERE param_set_id = 0"""
    )
    con.execute("UPDATE public_model_month SET path_id = 7, param_set_id = 1")
    con.execute("CREATE OR REPLACE TABLE representative_path AS SELECT 7::BIGINT AS path_id, 1::BIGINT AS param_set_id")
    autoscaler_model.run_autoscaler(con)
    assert table(con, "SELECT count(*) AS n FROM public_scaling_events") == [{"n": expected_events}]
    policy = autoscaler_model.read_policy(con, 1)
    assert (policy.max_instances, policy.evaluation_interval_s, policy.warmup_s) == (max_instances, 60, 120)
    assert table(con, "SELECT DISTINCT path_id FROM public_autoscaling_summary") == [{"path_id": 7}]
