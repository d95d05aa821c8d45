"""The resolved-input table and record ([V12-5], specs/inputs.md §9).

The table `OPTIONAL_KEYS` must name exactly the optional properties of the JSON Schemas in
`specs/schemas/` (a key the schema allows to be absent or null, or a CSV cell that may be empty),
so a key added to a schema without its default (or a stale table entry) fails here.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from d3_engine.core.files import schemas_dir
from d3_engine.inputs.resolved import OPTIONAL_KEYS, UNSET, column_default, resolve_inputs

ROOT = Path(__file__).resolve().parents[2]


def _optional_properties(node: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted paths (`*` any mapping key, `[]` any list item) of the optional properties under a schema node."""
    found: set[str] = set()
    join = (lambda k: f"{prefix}.{k}") if prefix else (lambda k: k)
    required = set(node.get("required", []))
    for key, sub in (node.get("properties") or {}).items():
        if key not in required or sub.get("x-optional"):
            found.add(join(key))
        found |= _optional_properties(sub, join(key))
    if isinstance(node.get("items"), dict):
        found |= _optional_properties(node["items"], join("[]"))
    if isinstance(node.get("additionalProperties"), dict):
        found |= _optional_properties(node["additionalProperties"], join("*"))
    return found


def _schema_optional_keys() -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for path in sorted(schemas_dir().glob("*.v1.json")):
        name = path.name.removesuffix(".v1.json")
        keys |= {(name, key) for key in _optional_properties(json.loads(path.read_text(encoding="utf-8")))}
    return keys


def test_every_optional_schema_property_has_exactly_one_table_entry() -> None:
    table = [(entry.file, entry.key) for entry in OPTIONAL_KEYS]
    assert len(table) == len(set(table)), "a key is listed twice"
    schema = _schema_optional_keys()
    assert schema - set(table) == set(), "optional in a schema but without a default in OPTIONAL_KEYS"
    assert set(table) - schema == set(), "in OPTIONAL_KEYS but not optional in any schema"


def test_every_entry_names_a_domain_id_and_parents_come_first() -> None:
    for position, entry in enumerate(OPTIONAL_KEYS):
        assert re.fullmatch(r"[A-Z]+[0-9]*-[A-Z0-9]+[a-z]?", entry.domain), entry
        parent = entry.key.rsplit(".", 1)[0]
        later = [e for e in OPTIONAL_KEYS[position + 1 :] if e.file == entry.file and e.key == parent]
        assert not later, f"{entry.key} is listed before its parent {parent}"


def test_absent_keys_take_their_default_or_an_explicit_unset() -> None:
    record = resolve_inputs(
        {
            "general": {"tax": {"vat_pct": 21}, "working_capital": {"ar_days": 30}},
            "simulation": {"targets": {"horizon_months": 3, "min_monthly_dscr": None}},
            "public_tap": {"pricing_policy": {"public_tap": {"target_margin_pct": 55}}, "meta": {}},
        }
    )
    general = record.docs["general"]
    assert general["tax"]["vat_period_months"] == 1 and general["tax"]["payment_lag_months"] == 0
    assert general["working_capital"]["ap_exempt_fixed_cost_items"] == []
    assert general["meta"] == {"description": None}
    assert general["tax"]["corporate_income_brackets"] is None
    assert record.state("general", "tax.vat_period_months") == "default"
    assert record.state("general", "tax.corporate_income_brackets") == "unset"
    targets = record.docs["simulation"]["targets"]
    assert targets["dscr_test_from_month"] == 12 and targets["min_monthly_dscr"] is None
    assert record.state("simulation", "targets.min_monthly_dscr") == "unset"  # null is "not set" [IN-3]
    policy = record.docs["public_tap"]["pricing_policy"]["public_tap"]
    assert policy["non_gpu_costs"] == {"base_eur_per_1M": 0, "infra_overhead_pct_of_gpu": 0}
    assert policy["min_floor_eur_per_1k"] is None and policy["max_cap_eur_per_1k"] is None


def test_set_keys_wildcards_and_list_items_are_kept_and_recorded() -> None:
    parsed = {
        "general": {
            "tax": {"vat_period_months": 3, "corporate_income_brackets": [{"up_to_eur": 100, "pct": 9}, {"pct": 20}]}
        },
        "market_env": {"finance": {"eur_usd_fx_rate": {"value": 1.1}}, "misc": {"x": {"value": 2, "unit": "u"}}},
    }
    record = resolve_inputs(parsed)
    assert parsed["general"]["tax"] == {
        "vat_period_months": 3,
        "corporate_income_brackets": [{"up_to_eur": 100, "pct": 9}, {"pct": 20}],
    }, "the parsed documents are left as read"
    brackets = record.docs["general"]["tax"]["corporate_income_brackets"]
    assert brackets[1] == {"pct": 20, "up_to_eur": None}
    assert record.state("general", "tax.corporate_income_brackets[0].up_to_eur") == "set"
    assert record.state("general", "tax.corporate_income_brackets[1].up_to_eur") == "unset"
    assert record.state("general", "tax.vat_period_months") == "set"
    assert record.docs["market_env"]["misc"]["x"] == {
        "value": 2,
        "unit": "u",
        **dict.fromkeys(("low", "high", "source", "source_date", "notes")),
    }
    assert record.values[("market_env", "misc.x.unit")] == "u"


def test_a_document_that_failed_its_schema_does_not_break_resolution() -> None:
    record = resolve_inputs({"general": {"tax": "not a mapping", "working_capital": None}, "simulation": [1, 2]})
    assert record.docs["general"] == {
        "tax": "not a mapping",
        "working_capital": None,
        "meta": {"description": None},
        "funding_line": {"interest_rate_pct": None, "limit_eur": None},
    }
    assert "simulation" not in record.docs


def test_csv_column_defaults_come_from_the_table() -> None:
    assert column_default("curated_gpu", "availability", None) == 1.0
    assert column_default("curated_gpu", "availability", 0.5) == 0.5
    assert column_default("curated_public_tap_models", "hf_id", None) is None
    with pytest.raises(KeyError):
        column_default("curated_gpu", "provider", None)
    assert repr(UNSET) == "UNSET"


# Stages after inputs read the resolved record only. `.get(key, default)` on the raw documents, `or 12`
# style fallbacks and `bundle.data(...)` are how defaults used to leak into each stage.
LATER_STAGES = ("plan", "models", "checks", "export", "report", "pipeline")


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


@pytest.mark.parametrize("stage", LATER_STAGES)
def test_later_stages_do_not_read_raw_documents(stage: str) -> None:
    offenders = []
    for module in sorted((ROOT / "d3_engine" / stage).rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for call in _calls(tree):
            func = call.func
            if not isinstance(func, ast.Attribute):
                continue
            owner = ast.unparse(func.value)
            raw_doc = func.attr == "data" and owner.endswith("bundle")
            defaulted = func.attr == "get" and owner.endswith(("settings", "simulation"))
            if raw_doc or defaulted:
                offenders.append(f"{module.relative_to(ROOT)}:{call.lineno}: {ast.unparse(call)}")
    assert offenders == []
