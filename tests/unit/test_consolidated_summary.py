"""consolidated_summary.json/.md ([OUT-6]): channel spend per path in exact decimal, the JSON number
precision of money, volume and ratio objects, and the Markdown rendering of the same content."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb

from d3_engine.core.formats import dumps_json
from d3_engine.export import consolidated_summary as cs
from d3_engine.export.context import RunContext

LABELS = ["p10", "p50", "p90", "rep"]


def channel_ctx(tmp_path: Path) -> RunContext:
    """Two paths of one parameter set; public acquisition 1000.000001 + 0 and 500 + 500 over two months."""
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE finance_month AS SELECT * FROM (VALUES
           (0, 0, 1, 1000.000001::DECIMAL(18,6)), (0, 0, 2, 0::DECIMAL(18,6)),
           (1, 0, 1, 500::DECIMAL(18,6)), (1, 0, 2, 500::DECIMAL(18,6)))
           AS t(path_id, param_set_id, month, acquisition_public_eur)"""
    )
    con.execute(
        """CREATE TABLE params_public_channels AS SELECT * FROM (VALUES
           (0, 'google_ads', 0.5), (0, 'linkedin_ads', 0.3), (0, 'events', 0.2)) AS t(param_set_id, label, share)"""
    )
    con.execute("CREATE TABLE representative_path AS SELECT 0::BIGINT AS path_id")
    validated: Any = SimpleNamespace(simulation={"stochastic": {"percentiles": [10, 50, 90]}}, pipelines=["public"])
    return RunContext(con, tmp_path, validated)


def test_channel_spend_is_round6_of_the_horizon_spend_times_the_share(tmp_path: Path) -> None:
    """Path 0: 1000.000001 × 0.5 = 500.0000005 → 500.000001 (half away); × 0.3 = 300.0000003 → 300.000000.
    Path 1: 1000 × share. p10 over the two paths = x₀ + 0.1·(x₁ − x₀) exactly ([GEN-5])."""
    spend = cs.channel_spend(channel_ctx(tmp_path), LABELS)
    assert spend["private"] == {}  # the private tap did not run
    google = spend["public"]["google_ads"]
    assert google["rep"] == Decimal("500.000001")
    assert google["p10"] == Decimal("500.000000") + Decimal("0.1") * Decimal("0.000001")
    assert spend["public"]["linkedin_ads"]["rep"] == Decimal("300.000000")
    assert spend["public"]["events"]["p90"] == Decimal("200.000000")
    assert sorted(spend["public"]) == ["events", "google_ads", "linkedin_ads"]


def test_json_numbers_take_the_precision_of_the_nearest_suffixed_key() -> None:
    """[OUT-3]: `_eur` objects at 2 decimals, `tokens` and `dscr_min` at 6, `_pct` at 4, counts as integers."""
    summary = {
        "public": {"revenue_eur": dict.fromkeys(LABELS, Decimal("7061.75")), "tokens": dict.fromkeys(LABELS, 6.01e9)},
        "total": {"dscr_min": dict.fromkeys(LABELS, Decimal("-29.96195"))},
        "autoscaling": {"avg_util_pct": 32.67441, "scale_events": 2},
    }
    text = dumps_json(summary)
    assert '"p50": 7061.75,' in text
    assert '"p50": 6010000000.000000,' in text
    assert '"p50": -29.961950,' in text
    assert '"avg_util_pct": 32.6744,' in text and '"scale_events": 2\n' in text
    assert json.loads(text)["public"]["tokens"]["rep"] == 6.01e9


def summary_fixture() -> dict[str, Any]:
    money = dict.fromkeys(LABELS, Decimal("-3826.72"))
    return {
        "engine_version": "0.1.0",
        "run_id": "1ccbd572fc78f78a",
        "seed": 7,
        "seed_source": "run.random_seed",
        "horizon_months": 3,
        "pipelines": ["public", "private"],
        "percentiles": [10, 50, 90],
        "paths": {"grid": 1, "replicates": 1, "mc": 1, "total": 1},
        "representative_path": {
            "path_id": 0,
            "grid_index": 0,
            "replicate_index": 0,
            "mc_index": 0,
            "net_income_eur": Decimal("-3826.72"),
        },
        "public": {
            "admitted_models": ["Large 30B", "Small 7B"],
            "private_only_models": [],
            "tokens": dict.fromkeys(LABELS, 6.01e9),
        },
        "private": {
            "hours": dict.fromkeys(LABELS, 1800.0),
            "vendor_by_gpu": {"GPU-A": "Alpha"},
            "sell_eur_hr_by_gpu": {"GPU-A": 0.594},
        },
        "total": {"net_income_eur": money, "dscr_min": dict.fromkeys(LABELS, Decimal("-29.96195"))},
        "segments": {"driver": "revenue", "public": {"overhead_eur": dict.fromkeys(LABELS, Decimal("959.794061"))}},
        "autoscaling": {"avg_util_pct": 32.6744, "p95_util_pct": None, "sla_violations": 0, "scale_events": 2},
        "acceptance": {"passed": True, "failed_error": [], "failed_warning": ["ACC-A6"]},
        "verdict": "not tested",
        "acquisition_spend_by_channel_eur": {
            "public": {"search": dict.fromkeys(LABELS, Decimal("3310"))},
            "private": {},
        },
    }


def test_markdown_renders_the_same_content() -> None:
    md = cs.render_markdown(summary_fixture(), LABELS).splitlines()
    assert md[0] == "# d3 consolidated summary 1ccbd572fc78f78a"
    assert "- representative path: 0 (grid 0, replicate 0, MC 0), net income -3826.72 EUR" in md
    assert "- admitted models: Large 30B, Small 7B" in md and "- private-only models: none" in md
    assert "| figure | p10 | p50 | p90 | rep |" in md
    assert "| total.net_income_eur | -3826.72 | -3826.72 | -3826.72 | -3826.72 |" in md
    assert "| total.dscr_min | -29.961950 | -29.961950 | -29.961950 | -29.961950 |" in md
    assert "| segments.public.overhead_eur | 959.79 | 959.79 | 959.79 | 959.79 |" in md
    assert "| public.tokens | 6010000000.000000 | 6010000000.000000 | 6010000000.000000 | 6010000000.000000 |" in md
    assert "| acquisition_spend_by_channel_eur.public.search | 3310.00 | 3310.00 | 3310.00 | 3310.00 |" in md
    assert "| GPU-A | Alpha | 0.594000 |" in md
    assert "- avg_util_pct: 32.6744" in md and "- p95_util_pct: –" in md and "- scale_events: 2" in md
    assert "- failed (warning): ACC-A6" in md and "- failed (error): none" in md
    assert "- verdict: not tested" in md  # [ACC-A13]


def test_breach_sentence_is_the_form_of_acc_a13() -> None:
    """[ACC-A13]: "breaches a covenant or runs out of cash on 4 812 of 5 000 paths (96.2 %)"."""
    assert cs.breach_sentence(4812, 5000) == "breaches a covenant or runs out of cash on 4 812 of 5 000 paths (96.2 %)"
    assert cs.breach_sentence(0, 1) == "breaches a covenant or runs out of cash on 0 of 1 paths (0.0 %)"
    assert cs.breach_sentence(1, 3) == "breaches a covenant or runs out of cash on 1 of 3 paths (33.3 %)"
