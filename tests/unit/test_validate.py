"""Validation: what a valid bundle yields, seeds, pipelines, escalation, parameter sets [IN-5 … IN-18]."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from d3_engine.core.errors import ValidationFailed
from d3_engine.pipeline.validation import validate_inputs

SHIPPED = Path(__file__).resolve().parents[2] / "inputs"
# [DEF-1]: tps_heuristic for the models without measured throughput; §11.4 also allows price_far_from_market.
ALLOWED_SHIPPED_WARNINGS = {"tps_heuristic", "price_far_from_market"}
VPUB = "variables/public_tap.csv"
VAR_HEADER = "variable_id,scope,path,type,unit,min,max,step,default,treatment,notes"


def _failure(inputs: Any, **kwargs: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationFailed) as caught:
        validate_inputs(inputs.root, **kwargs)
    return [(f.code, f.file, f.location) for f in caught.value.findings if f.severity == "ERROR"]


def test_golden_fixture_validates_as_the_worked_example_says(minimal: Any) -> None:
    """[EX-1]: seed 7 from run.random_seed, both taps, one path, fx 1.25, no warnings."""
    v = validate_inputs(minimal.root)
    assert (v.seed, v.seed_source, v.pipelines, v.fail_on_warning) == (
        7,
        "run.random_seed",
        ["public", "private"],
        False,
    )
    assert (v.plan.grid_size, v.plan.replicates, v.plan.mc, v.plan.paths) == (1, 1, 1, 1)
    assert v.fx == 1.25 and v.warnings == []
    assert [(o.gpu, o.provider, o.usd_hr) for o in v.offers] == [
        ("GPU-A", "Alpha", 0.5), ("GPU-A", "Beta", 0.4), ("GPU-B", "Alpha", 1.5), ("GPU-B", "Beta", 2.0),
    ]  # fmt: skip
    assert [(m.identity, m.vram_gb_required, m.traffic_share) for m in v.models] == [
        ("Small 7B", 16.0, 0.75), ("Large 30B", 20.0, 0.25),
    ]  # fmt: skip
    assert [(x.variable_id, str(x.default)) for x in v.variables] == [("pub_margin", "60")]


def test_shipped_inputs_are_valid_with_the_documented_plan() -> None:
    """[DEF-1], §11.4: inputs/ passes; G = 1, R = 200, M = 25 → 5 000 paths; seed 424242 from run.random_seed."""
    v = validate_inputs(SHIPPED)
    assert (v.seed, v.seed_source, v.pipelines) == (424242, "run.random_seed", ["public", "private"])
    assert (v.plan.grid_size, v.plan.replicates, v.plan.mc, v.plan.paths) == (1, 200, 25, 5000)
    assert v.fx == 1.10
    assert [w.code for w in v.warnings if w.code not in ALLOWED_SHIPPED_WARNINGS] == []


@pytest.mark.parametrize(
    ("changes", "cli_seed", "seed", "source"),
    [
        ({}, 5, 5, "cli"),
        ({("simulation.yaml", "stochastic.random_seed"): 11}, None, 11, "stochastic.random_seed"),
        ({("simulation.yaml", "run.random_seed"): None}, None, 99, "public_tap.meta.seed"),
        (
            {("simulation.yaml", "run.random_seed"): None, ("operator/public_tap.yaml", "meta.seed"): None},
            None,
            98,
            "private_tap.meta.seed",
        ),
    ],
)
def test_seed_precedence(
    minimal: Any, changes: dict[tuple[str, str], Any], cli_seed: Any, seed: int, source: str
) -> None:
    """[RNG-1]: --seed > stochastic.random_seed > run.random_seed > public meta.seed > private meta.seed."""
    for (rel, dotted), value in changes.items():
        minimal.set_key(rel, dotted, value)
    v = validate_inputs(minimal.root, cli_seed=cli_seed)
    assert (v.seed, v.seed_source) == (seed, source)


def test_private_pipeline_alone_needs_no_public_files(minimal: Any) -> None:
    """[IN-1], [IN-16]: with --pipelines private the public files may be absent; their variables are unused."""
    minimal.remove("operator/public_tap.yaml")
    minimal.remove("operator/curated_public_tap_models.csv")
    minimal.remove(VPUB)
    v = validate_inputs(minimal.root, pipelines=["private"])
    assert v.pipelines == ["private"] and v.models == []
    assert v.seed_source == "run.random_seed"


def test_warnings_pass_unless_escalated(minimal: Any) -> None:
    """[IN-5]: a warning is allowed; with fail_on_warning it becomes escalated_warning keeping its code."""
    minimal.set_key("operator/general.yaml", "finance.contingency_pct", 0.5)
    v = validate_inputs(minimal.root)
    assert [(w.code, w.location) for w in v.warnings] == [("percent_looks_like_fraction", "line 8")]
    with pytest.raises(ValidationFailed) as caught:
        validate_inputs(minimal.root, fail_on_warning=True)
    (finding,) = caught.value.findings
    assert (finding.code, finding.original_code, finding.severity) == (
        "escalated_warning",
        "percent_looks_like_fraction",
        "ERROR",
    )
    assert "finance.contingency_pct = 0.5" in finding.message and finding.hint == "write 50 for 50 %"


def test_cli_flag_overrides_fail_on_warning_of_the_yaml(minimal: Any) -> None:
    minimal.set_key("simulation.yaml", "run.fail_on_warning", True)
    minimal.write("facts/extra.txt", "x\n")
    assert _failure(minimal) == [("escalated_warning", "facts/extra.txt", "")]
    assert [w.code for w in validate_inputs(minimal.root, fail_on_warning=False).warnings] == ["unknown_input_file"]


def test_all_findings_are_reported_together(minimal: Any) -> None:
    """[IN-18]: one pass reports every problem, in several files."""
    minimal.set_key("operator/general.yaml", "loan.repayment_type", "balloon")
    minimal.set_key("operator/public_tap.yaml", "autoscaling.evaluation_interval_s", 7)
    minimal.set_cell("facts/insurances.csv", 0, "example_premium_eur_per_month", "NaN")
    minimal.set_key("simulation.yaml", "stochastic.percentiles", [10, 90])
    assert sorted(_failure(minimal)) == [
        ("bad_enum", "operator/general.yaml", "line 26"),
        ("bad_percentiles", "simulation.yaml", "line 12"),
        ("inconsistent_thresholds", "operator/public_tap.yaml", "line 36"),
        ("type_error", "facts/insurances.csv", "line 2"),
    ]


def _grid(minimal: Any, *rows: str) -> None:
    minimal.write(VPUB, VAR_HEADER + "\n" + "\n".join(rows) + "\n")


def test_cross_key_rules_run_on_the_default_set_not_the_raw_yaml(minimal: Any) -> None:
    """[IN-16]: the default parameter set is the YAML with every variable at its default."""
    minimal.set_key("operator/public_tap.yaml", "pricing_policy.public_tap.max_cap_eur_per_1k", 0.0005)
    _grid(
        minimal,
        "cap,public_tap,pricing_policy.public_tap.max_cap_eur_per_1k,numeric,EUR_per_1k,0.005,0.01,0.005,0.01,fixed,",
    )
    validate_inputs(minimal.root)  # the YAML cap 0.0005 < floor 0.001 is overlaid by the default 0.01


def test_a_grid_point_that_breaks_a_rule_is_named_once(minimal: Any) -> None:
    """[IN-16]: grid points are checked too; the first breaking grid point is named (last axis fastest)."""
    _grid(
        minimal,
        "churn,public_tap,acquisition.churn_pct_mom,numeric,percent,0,20,10,10,low_to_high,",
        "floor,public_tap,pricing_policy.public_tap.min_floor_eur_per_1k,numeric,EUR_per_1k,0.001,0.02,0.019,"
        "0.001,low_to_high,",
    )
    with pytest.raises(ValidationFailed) as caught:
        validate_inputs(minimal.root)
    (finding,) = caught.value.findings
    # axes: churn (3 values) then floor (2 values, fastest): floor 0.02 first at grid point 1
    assert finding.code == "inconsistent_thresholds"
    assert finding.message == (
        "pricing_policy.public_tap.min_floor_eur_per_1k 0.02 is above max_cap_eur_per_1k 0.01 (in grid point 1)"
    )


def test_credit_packs_must_lie_in_the_top_up_range(minimal: Any) -> None:
    """[PUB-10], [IN-18] out_of_range: a pack outside [min_topup_eur, max_topup_eur]."""
    minimal.set_key("simulation.yaml", "report.credit_packs_eur", [1, 50])
    assert _failure(minimal) == [("out_of_range", "simulation.yaml", "line 33")]


GPU = "operator/curated_gpu.csv"


def _bom(rel: str) -> Callable[[Any], None]:
    return lambda b: b.write(rel, b"\xef\xbb\xbf" + b.path(rel).read_bytes())


def _quoted_notes(b: Any) -> None:
    lines = b.read(GPU).splitlines()
    b.write(GPU, "\n".join([lines[0] + ",notes"] + [ln + ',"cheap, fast"' for ln in lines[1:]]) + "\n")


TOLERATED: dict[str, Callable[[Any], Any]] = {
    "csv_bom": _bom("facts/insurances.csv"),
    "yaml_bom": _bom("simulation.yaml"),
    "header_case_and_spaces": lambda b: b.replace(GPU, "provider,gpu_model", " PROVIDER , Gpu_Model "),
    "comment_and_blank_lines": lambda b: b.replace(GPU, "Alpha,GPU-A", "# a comment line\n\nAlpha,GPU-A"),
    "quoted_extra_column": _quoted_notes,
    "readme_ignored": lambda b: b.write("facts/README.md", "notes\n"),
    "gpu_keys_normalised": lambda b: b.set_key(
        "operator/private_tap.yaml", "client_gpu_mix", {"gpu-a": 0.5, " GPU-B ": 0.5}
    ),
}


@pytest.mark.parametrize("name", sorted(TOLERATED))
def test_tolerated_variations_stay_valid(minimal: Any, name: str) -> None:
    """[IN-2], [IN-3], [IN-9]: BOM, header case/space, comments, quoted commas, README, GPU key normalisation."""
    TOLERATED[name](minimal)
    v = validate_inputs(minimal.root)
    assert v.warnings == [] and v.plan.paths == 1
