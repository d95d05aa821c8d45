"""Which per-path tables a batch builds without their final ORDER BY (pipeline/batches._order_unseen,
models/runner.without_final_order, specs/engine.md "Paths in batches"): those whose row order nobody sees."""

from __future__ import annotations

import pytest

from d3_engine.models.graph import Model
from d3_engine.models.header import ModelHeader
from d3_engine.models.runner import without_final_order
from d3_engine.models.scope import split_by_scope
from d3_engine.pipeline.batches import _ends_sorted, _order_unseen, _to_publish
from d3_engine.pipeline.databases import PathsPlan
from d3_engine.pipeline.run import engine_models


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT a FROM t\nORDER BY path_id, month", "SELECT a FROM t"),
        ("SELECT a FROM t ORDER BY y.path_id, y.year\n", "SELECT a FROM t"),
        ("SELECT a FROM t ORDER BY path_id", "SELECT a FROM t"),
        # an ORDER BY that is not the statement's last clause stays
        ("SELECT lag(x) OVER (PARTITION BY p ORDER BY month) FROM t", None),
        ("SELECT * FROM (SELECT a FROM t ORDER BY a)", None),
        ("SELECT list(a ORDER BY m) FROM t GROUP BY p", None),
        ("SELECT * FROM final", None),
        ("SELECT a FROM t ORDER BY a DESC", None),  # not a plain list of columns: kept
        ("SELECT a FROM t ORDER BY ALL", "SELECT a FROM t"),
        ("SELECT DISTINCT ON (p) p, a FROM t ORDER BY p, a", None),  # the order picks DISTINCT ON's rows
    ],
)
def test_only_a_final_order_by_of_columns_is_dropped(sql: str, expected: str | None) -> None:
    assert without_final_order(sql) == (sql if expected is None else expected)


def _model(grain: list[str]) -> Model:
    return Model("m", 1, [], "x", ModelHeader("m", 1, "p", grain))


@pytest.mark.parametrize(
    ("grain", "kept", "unseen"),
    [
        (["path_id", "month"], [], True),  # appended nowhere: only later models of the batch read it
        (["path_id", "month"], [("m", "home")], True),  # placed by its keys (pipeline/appends.py)
        (["path_id"], [("m", "home")], False),  # appended in rowid order
        (["path_id", "month", "model"], [("m", "home")], False),
        (["path_id", "month"], [("m", "scratch")], False),
        (["path_id", "month"], [("m", "rep")], False),
    ],
)
def test_the_sort_is_skipped_only_where_no_one_sees_the_order(
    grain: list[str], kept: list[tuple[str, str]], unseen: bool
) -> None:
    assert _order_unseen(_model(grain), kept) is unseen


def _unsorted(keep_every_path: bool) -> set[str]:
    plan = PathsPlan(seed=1, plan=None, pipelines=["public", "private"], batch_size=10, keep_every_path=keep_every_path)  # type: ignore[arg-type]
    path_models = split_by_scope(engine_models(["public", "private"])).path
    return {
        m.name
        for m in path_models
        if m.python is None
        and without_final_order(m.source.strip()) != m.source.strip()
        and _order_unseen(m, _to_publish([t.name for t in m.tables], plan, rep=False))
    }


def test_the_shipped_models_that_skip_their_sort() -> None:
    """The monthly statements' intermediate tables and the kept path × month tables; with --keep-path-tables every
    other table is appended in rowid order and keeps its sort."""
    intermediate = {"finance_pnl", "finance_vat", "finance_operating_cash", "finance_scaling_costs", "segment_month"}
    kept_monthly = {"finance_month", "public_customers_path", "private_customers_by_month", "risk_path_month"}
    assert _unsorted(keep_every_path=False) == intermediate | kept_monthly
    assert _unsorted(keep_every_path=True) == intermediate | kept_monthly


def test_the_models_that_hand_their_rows_unsorted() -> None:
    """A kept table of these models is sorted (or, path × month, placed by its keys) by the appender (--keep-path-
    tables keeps them all): without it their row groups depended on the batch size."""
    path_models = split_by_scope(engine_models(["public", "private"])).path
    assert {m.name for m in path_models if not _ends_sorted(m)} == {
        "public_demand",
        "public_month",
        "public_served_month",
        "public_model_month",
        "public_capacity_path",
        "private_clients",
        "private_gpu_month",
        "private_month",
    }
