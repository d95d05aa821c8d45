"""Derived validation on the default parameter set: tps_heuristic, price_capped_below_target,
model_private_only and no_admitted_model [IN-18] [PUB-2] [PUB-5] [PUB-6] [DEF-1]."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from d3_engine.checks.preflight import public_findings
from d3_engine.core.errors import ERROR, WARNING, Finding, ValidationFailed
from d3_engine.pipeline.validation import validate_inputs

ROOT = Path(__file__).resolve().parents[2]
PUB = "operator/public_tap.yaml"
CAP = "pricing_policy.public_tap.max_cap_eur_per_1k"
FLOOR = "pricing_policy.public_tap.min_floor_eur_per_1k"


DERIVED = {"tps_heuristic", "price_capped_below_target", "model_private_only", "no_admitted_model"}


def derived(inputs: Any) -> list[Finding]:
    """The derived findings of an inputs folder.

    Once validate.py runs the derived checks itself, an ERROR stops validation: then the findings
    come from the ValidationFailed it raises.
    """
    try:
        validated = validate_inputs(Path(str(inputs)))
    except ValidationFailed as failed:
        return [f for f in failed.findings if f.code in DERIVED]
    return public_findings(validated)


def findings(inputs: Any) -> list[tuple[str, str, str, str]]:
    """(code, severity, location, model named in the message) of the derived findings."""
    return [
        (f.code, f.severity, f.location, f.message.split("'")[1] if "'" in f.message else "") for f in derived(inputs)
    ]


def test_golden_fixture_has_no_derived_finding() -> None:
    assert public_findings(validate_inputs(ROOT / "tests" / "fixtures" / "minimal_001")) == []


def test_shipped_inputs_warn_tps_heuristic_for_every_model_but_mistral() -> None:
    found = public_findings(validate_inputs(ROOT / "inputs"))
    assert {f.code for f in found} == {"tps_heuristic", "price_far_from_market"}  # §11.4 [DEF-1]
    got = [f for f in found if f.code == "tps_heuristic"]
    assert all(f.severity == WARNING and f.file == "operator/curated_public_tap_models.csv" for f in got)
    models = [f.message.split("'")[1] for f in got]
    assert len(models) == 14 and "Mistral 7B v0.3" not in models
    assert models == sorted(models, key=str.encode)
    codellama = next(f for f in got if "'CodeLlama 34B'" in f.message)
    assert "RTX 3090 (Genesis Cloud)" in codellama.message and "1300 × 8 / 34" in codellama.message


def test_cap_below_target_price_warns_for_that_model_only(minimal: Any) -> None:
    minimal.set_key(PUB, CAP, 0.0012)
    assert findings(minimal) == [("price_capped_below_target", WARNING, CAP, "Large 30B")]


def test_default_set_uses_variable_defaults_not_the_yaml_value(minimal: Any) -> None:
    # YAML margin 50 gives Large 0.0014 (below the cap); the variable default 60 gives 0.0017 (capped)
    minimal.set_key(PUB, CAP, 0.0015)
    assert findings(minimal) == [("price_capped_below_target", WARNING, CAP, "Large 30B")]


def test_model_priced_below_cost_is_private_only(minimal: Any) -> None:
    minimal.del_key(PUB, FLOOR)
    minimal.set_key(PUB, CAP, 0.0005)
    assert findings(minimal) == [
        ("price_capped_below_target", WARNING, CAP, "Large 30B"),
        ("model_private_only", WARNING, "line 3", "Large 30B"),
        ("price_capped_below_target", WARNING, CAP, "Small 7B"),
    ]


def test_no_admitted_model_is_an_error(minimal: Any) -> None:
    minimal.del_key(PUB, FLOOR)
    minimal.set_key(PUB, CAP, 0.0001)
    got = findings(minimal)
    assert [(code, sev, model) for code, sev, _, model in got if code != "price_capped_below_target"] == [
        ("model_private_only", WARNING, "Large 30B"),
        ("model_private_only", WARNING, "Small 7B"),
        ("no_admitted_model", ERROR, ""),
    ]


def test_heuristic_g_star_is_reported_once_per_model(minimal: Any) -> None:
    minimal.set_key(PUB, "allow_tps_heuristic", True)
    minimal.write("facts/gpu_baselines.yaml", "ref_params_b: 8\ntokens_per_s: {GPU-A: 2000, GPU-B: 4000}\n")
    lines = minimal.read("facts/tps_model_gpu.csv").splitlines()
    minimal.write("facts/tps_model_gpu.csv", "\n".join(line for line in lines if "large-30b" not in line) + "\n")
    got = derived(minimal)
    assert [(f.code, f.location) for f in got] == [("tps_heuristic", "line 3")]
    # GPU-A: 0.352 €/h over 533.33 tokens/s is cheaper per token than GPU-B: 1.32 €/h over 1066.67
    assert "GPU-A (Beta)" in got[0].message and "2000 × 8 / 30" in got[0].message


def test_an_absent_throughput_file_is_a_warning_naming_it(minimal: Any) -> None:
    """facts/tps_model_gpu.csv is optional [IN-1], but without it every tokens/s is a heuristic: say so once."""
    minimal.set_key(PUB, "allow_tps_heuristic", True)
    minimal.write("facts/gpu_baselines.yaml", "ref_params_b: 8\ntokens_per_s: {GPU-A: 2000, GPU-B: 4000}\n")
    minimal.remove("facts/tps_model_gpu.csv")
    warned = [f for f in validate_inputs(Path(str(minimal))).warnings if f.code == "no_measured_throughput"]
    assert [(f.file, f.severity) for f in warned] == [("facts/tps_model_gpu.csv", WARNING)]
    assert "every tokens/s is a heuristic" in warned[0].message
    assert not [f for f in validate_inputs(ROOT / "tests" / "fixtures" / "minimal_001").warnings
                if f.code == "no_measured_throughput"]  # fmt: skip
