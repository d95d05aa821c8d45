"""d3_engine.inputs.schemas: the JSON Schemas of the inputs and how cells and keys are checked [IN-2, IN-3]."""

from __future__ import annotations

import json
from typing import Any

import pytest

from d3_engine.core.errors import Findings
from d3_engine.core.files import schemas_dir
from d3_engine.inputs.parse import CsvText, parse_yaml
from d3_engine.inputs.schemas import all_schemas, did_you_mean, load_schema, type_csv, type_yaml_rows, validate_yaml

INPUT_FILES = {
    "simulation.yaml", "operator/general.yaml", "operator/public_tap.yaml", "operator/private_tap.yaml",
    "operator/curated_gpu.csv", "operator/curated_public_tap_models.csv", "variables/<scope>.csv",
    "facts/market_env.yaml", "facts/insurances.csv", "facts/tps_model_gpu.csv", "facts/gpu_baselines.yaml",
    "facts/tps_sources.yaml", "facts/ads_channels.csv", "facts/agency_fees.csv", "facts/market_api_prices.csv",
}  # fmt: skip
UNITS = {"percent", "fraction", "ratio", "EUR", "EUR_per_month", "EUR_per_1k", "EUR_per_1M", "tokens", "hours", "days",
         "months", "count", "seconds", "enum"}  # fmt: skip


def test_one_versioned_schema_per_input_file() -> None:
    """[IN-3]: every file of IN-1 has a versioned JSON Schema; `d3 schema` exports the same set."""
    schemas = all_schemas()
    assert {s["title"] for s in schemas.values()} == INPUT_FILES
    for name, schema in schemas.items():
        assert name.endswith(".v1.json") and schema["x-schema-version"] == 1
        assert schema["$id"] == f"d3/{name}"
        assert schema == json.loads((schemas_dir() / name).read_text(encoding="utf-8"))


def _leaves(node: dict[str, Any], path: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    for key, sub in (node.get("properties") or {}).items():
        child = f"{path}.{key}" if path else key
        kinds = sub.get("type") if isinstance(sub.get("type"), list) else [sub.get("type")]
        if "object" in kinds:
            out += _leaves(sub, child)
            if isinstance(sub.get("additionalProperties"), dict):
                out.append((f"{child}.<key>", sub["additionalProperties"]))
        elif "number" in kinds or "integer" in kinds:
            out.append((child, sub))
    return out


@pytest.mark.parametrize("scope", ["general", "public_tap", "private_tap"])
def test_every_numeric_operator_key_declares_its_unit(scope: str) -> None:
    """[IN-14]: a variable must declare the unit of its target key, so every numeric key has one."""
    leaves = _leaves(load_schema(scope))
    assert leaves
    missing = [path for path, node in leaves if node.get("x-unit") not in UNITS]
    assert not missing, missing


def test_did_you_mean_uses_difflib_ratio_060() -> None:
    """[IN-3]: the closest allowed key at the same level with ratio ≥ 0.6, else no hint."""
    allowed = ["contingency_pct", "equity_injection_eur", "bizdev_budget_monthly_eur"]
    assert did_you_mean("contingncy_pct", allowed) == " (did you mean 'contingency_pct'?)"
    assert did_you_mean("tax", allowed) == ""


def _typed(name: str, header: str, *rows: str) -> tuple[Any, Findings]:
    findings = Findings()
    records = [(i + 2, row.split(",")) for i, row in enumerate(rows)]
    table = type_csv(name, CsvText(f"{name}.csv", header.split(","), 1, records), findings)
    return table, findings


def test_csv_header_is_case_insensitive_trimmed_and_aliased() -> None:
    table, findings = _typed("curated_gpu", " Provider ,GPU,VRAM_GB , price_per_gpu_hr,my_notes", "A,h100,80,2.5,x")
    assert not findings.items
    assert table.columns == ["provider", "gpu_model", "gpu_vram_gb", "price_per_gpu_hr", "my_notes"]
    assert table.extra_columns == ["my_notes"]  # additionalColumns: allowed → kept as text
    assert table.rows[0].values == {
        "provider": "A", "gpu_model": "h100", "gpu_vram_gb": 80.0, "price_per_gpu_hr": 2.5, "my_notes": "x",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "value"), [("12", 12.0), (" 1e3 ", 1000.0), ("-0.5", -0.5), (".25", 0.25), ("", None)]
)
def test_plain_decimal_cells(cell: str, value: float | None) -> None:
    table, findings = _typed("insurances", "insurer_id,example_premium_eur_per_month", f"a,{cell}")
    assert table.rows[0].values["example_premium_eur_per_month"] == value
    assert [f.code for f in findings.items] == ([] if value is None or value >= 0 else ["out_of_range"])


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("NaN", "not a finite number"),
        ("-inf", "not a finite number"),
        ("1e999", "not a finite number"),
        ("1 000", "thousands separator"),
        ("1.000.000", "thousands separator"),
        ("yes", "boolean"),
        ("12 EUR", "not a plain decimal"),
        ("0x10", "not a plain decimal"),
    ],
)
def test_cells_that_are_not_plain_decimals(cell: str, words: str) -> None:
    table, findings = _typed("insurances", "insurer_id,example_premium_eur_per_month", f"a,{cell}")
    (finding,) = findings.items
    assert (finding.code, finding.location) == ("type_error", "line 2")
    assert "example_premium_eur_per_month" in finding.message and words in finding.message
    assert table.rows[0].values["example_premium_eur_per_month"] is None


def test_integer_columns_take_whole_numbers_only() -> None:
    header = "model_id,gpu,gpu_count,throughput_tokens_per_sec,measurement_type,source_tag"
    table, findings = _typed("tps_model_gpu", header, "m,G,2,10,aggregate,T", "m,G,2.0,10,aggregate,T", "m,G,1.5,1,x,T")
    assert [r.values["gpu_count"] for r in table.rows] == [2, 2, None]
    assert [(f.code, f.location) for f in findings.items] == [("type_error", "line 4"), ("bad_enum", "line 4")]


def test_header_problems_make_the_table_unusable() -> None:
    table, findings = _typed("variables", "variable_id,scope,pth,type,unit,min,max,step,default,treatment", "a")
    assert table is None
    assert [f.code for f in findings.items] == ["unknown_column", "missing_column"]
    assert "did you mean 'path'" in findings.items[0].message


def test_x_code_names_the_domain_code_of_a_column() -> None:
    """[IN-18]: a GPU row with vram 0 is a bad_offer, not a bare out_of_range; an empty model is bad_model."""
    _, gpu = _typed("curated_gpu", "provider,gpu_model,gpu_vram_gb,price_per_gpu_hr", "A,H100,0,2")
    _, models = _typed("curated_public_tap_models", "model,vram_gb_required", ",16")
    assert [f.code for f in gpu.items] == ["bad_offer"]
    assert [f.code for f in models.items] == ["bad_model"]


def test_yaml_document_findings_carry_line_key_and_hint() -> None:
    text = "meta: {fx_buffer_pct: 150}\nallow_tps_heuristic: true\nextra_key: 1\n"
    doc = parse_yaml("operator/private_tap.yaml", text)
    findings = Findings()
    assert validate_yaml("private_tap", doc, findings) is False
    found = {(f.code, f.location, f.message) for f in findings.items}
    assert ("out_of_range", "line 1", "meta.fx_buffer_pct: value 150 is not in [0, 100] (percent)") in found
    # allow_tps_heuristic is a public_tap key; extra_key is nobody's
    assert {(c, loc) for c, loc, _ in found if c == "unknown_key"} == {
        ("unknown_key", "line 2"),
        ("unknown_key", "line 3"),
    }
    assert "missing_key" in {c for c, _, _ in found} and all(f.hint for f in findings.items)


def test_yaml_rows_are_typed_exactly_like_csv_rows() -> None:
    """[IN-4]: `X.yaml` is a list of mappings with the CSV's columns and gives the same values."""
    doc = parse_yaml(
        "facts/insurances.yaml", "- {insurer_id: a, example_premium_eur_per_month: 9.4}\n- {insurer_id: b}\n"
    )
    findings = Findings()
    from_yaml = type_yaml_rows("insurances", doc, findings)
    from_csv, csv_findings = _typed("insurances", "insurer_id,example_premium_eur_per_month", "a,9.4", "b,")
    assert not findings.items and not csv_findings.items
    assert [r.values for r in from_yaml.rows] == [r.values for r in from_csv.rows]
    assert [r.line for r in from_yaml.rows] == [1, 2]


def test_yaml_rows_reject_nested_values_and_non_lists() -> None:
    findings = Findings()
    doc = parse_yaml("facts/insurances.yaml", "- insurer_id: [a, b]\n  example_premium_eur_per_month: 1\n")
    type_yaml_rows("insurances", doc, findings)
    assert [(f.code, f.location) for f in findings.items] == [("type_error", "line 1")]
    findings = Findings()
    assert type_yaml_rows("insurances", parse_yaml("x.yaml", "a: 1\n"), findings) is None
    assert findings.items[0].code == "parse_error"
