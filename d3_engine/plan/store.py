"""Typed `input_*` tables in run.duckdb: one table per dataset, plus normalised views of it.

A user can query exactly what the engine read (`SELECT * FROM input_curated_gpu`) and what it made
of it (`input_offers`, `input_models`, `input_throughput_measured`), and every optional key with its
resolved value and whether it was set, defaulted or left unset (`input_resolved`, [V12-5]).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import create_table
from d3_engine.inputs.offers import baselines, measured_throughput
from d3_engine.inputs.schemas import CsvTable, load_schema
from d3_engine.plan.validate import Validated

if TYPE_CHECKING:
    import duckdb

CSV_TABLE_NAMES = {
    "curated_gpu": "input_curated_gpu",
    "curated_public_tap_models": "input_curated_public_tap_models",
    "insurances": "input_insurances",
    "tps_model_gpu": "input_tps_model_gpu",
    "ads_channels": "input_ads_channels",
    "agency_fees": "input_agency_fees",
    "market_api_prices": "input_market_api_prices",
}


def _sql_type(prop: dict[str, Any] | None) -> str:
    if prop is None:
        return "VARCHAR"
    kinds = prop.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds or "type" not in prop:
        return "VARCHAR"
    return "BIGINT" if "integer" in kinds else "DOUBLE"


def _csv_table(con: duckdb.DuckDBPyConnection, name: str, schema_name: str, table: CsvTable) -> int:
    props = load_schema(schema_name).get("properties", {})
    types = {"source_line": "BIGINT", **{c: _sql_type(props.get(c)) for c in table.columns}}
    cols: dict[str, list[Any]] = {c: [] for c in types}
    for row in table.rows:
        cols["source_line"].append(row.line)
        for column in table.columns:
            value = row.values.get(column)
            cols[column].append(str(value) if types[column] == "VARCHAR" and value is not None else value)
    return create_table(con, name, types, cols)


def _value_text(value: Any) -> str | None:
    """A resolved value as text: null for unset, `true`/`false`, JSON for a list or mapping."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)


def _flatten(data: Any, prefix: str = "") -> list[tuple[str, str | None]]:
    if isinstance(data, dict):
        return [kv for k, v in data.items() for kv in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(data, list):
        return [kv for i, v in enumerate(data) for kv in _flatten(v, f"{prefix}[{i}]")]
    return [(prefix, None if data is None else str(data).lower() if isinstance(data, bool) else str(data))]


def write_inputs(con: duckdb.DuckDBPyConnection, validated: Validated) -> dict[str, int]:
    """Create every input_* table; returns row counts by table."""
    bundle, counts = validated.bundle, {}
    counts["input_files"] = create_table(
        con,
        "input_files",
        {"file": "VARCHAR", "sha256": "VARCHAR", "bytes": "BIGINT"},
        {
            "file": [f.rel for f in bundle.files],
            "sha256": [f.sha256 for f in bundle.files],
            "bytes": [f.bytes for f in bundle.files],
        },
    )
    for dataset, table_name in CSV_TABLE_NAMES.items():
        if dataset in bundle.tables:
            counts[table_name] = _csv_table(con, table_name, dataset, bundle.tables[dataset])
    for scope, table in bundle.variables.items():
        counts[f"input_variables_{scope}"] = _csv_table(con, f"input_variables_{scope}", "variables", table)
    for name, doc in bundle.docs.items():
        pairs = _flatten(doc.data)
        counts[f"input_{name}"] = create_table(
            con,
            f"input_{name}",
            {"key_path": "VARCHAR", "value": "VARCHAR"},
            {"key_path": [k for k, _ in pairs], "value": [v for _, v in pairs]},
        )
    counts.update(_normalised(con, validated))
    return counts


def _normalised(con: duckdb.DuckDBPyConnection, validated: Validated) -> dict[str, int]:
    """Offers, models, throughput and list-valued settings in the shape models read."""
    from d3_engine.core.errors import Findings

    bundle, counts = validated.bundle, {}
    offers = validated.offers
    counts["input_offers"] = create_table(
        con,
        "input_offers",
        {
            "gpu": "VARCHAR",
            "vram_gb": "DOUBLE",
            "provider": "VARCHAR",
            "usd_hr": "DOUBLE",
            "availability": "DOUBLE",
            "reputation": "DOUBLE",
            "source_line": "BIGINT",
        },
        {
            "gpu": [o.gpu for o in offers],
            "vram_gb": [o.vram_gb for o in offers],
            "provider": [o.provider for o in offers],
            "usd_hr": [o.usd_hr for o in offers],
            "availability": [o.availability for o in offers],
            "reputation": [o.reputation for o in offers],
            "source_line": [o.line for o in offers],
        },
    )
    models = validated.models
    counts["input_models"] = create_table(
        con,
        "input_models",
        {
            "model": "VARCHAR",
            "model_order": "BIGINT",
            "vram_gb_required": "DOUBLE",
            "params_b": "DOUBLE",
            "hf_id": "VARCHAR",
            "traffic_share": "DOUBLE",
            "source_line": "BIGINT",
        },
        {
            "model": [m.identity for m in models],
            "model_order": list(range(len(models))),
            "vram_gb_required": [m.vram_gb_required for m in models],
            "params_b": [m.params_b for m in models],
            "hf_id": [m.hf_id for m in models],
            "traffic_share": [m.traffic_share for m in models],
            "source_line": [m.line for m in models],
        },
    )
    rows = measured_throughput(bundle, Findings())
    counts["input_throughput_measured"] = create_table(
        con,
        "input_throughput_measured",
        {"model_id": "VARCHAR", "gpu": "VARCHAR", "tps": "DOUBLE", "source_tag": "VARCHAR", "source_line": "BIGINT"},
        {
            "model_id": [t.model_id for t in rows],
            "gpu": [t.gpu for t in rows],
            "tps": [t.tps for t in rows],
            "source_tag": [t.source_tag for t in rows],
            "source_line": [t.line for t in rows],
        },
    )
    ref, per_gpu = baselines(bundle)
    counts["input_gpu_baselines"] = create_table(
        con,
        "input_gpu_baselines",
        {"gpu": "VARCHAR", "tokens_per_s": "DOUBLE", "ref_params_b": "DOUBLE"},
        {"gpu": list(per_gpu), "tokens_per_s": list(per_gpu.values()), "ref_params_b": [ref] * len(per_gpu)},
    )
    counts.update(_lists(con, validated))
    return counts


def _lists(con: duckdb.DuckDBPyConnection, validated: Validated) -> dict[str, int]:
    """List-valued settings of the resolved general and simulation documents as tables ([V12-5])."""
    gen, sim, counts = validated.doc("general"), validated.simulation, {}
    premiums = {
        r.values.get("insurer_id"): r.values.get("example_premium_eur_per_month")
        for r in validated.bundle.tables["insurances"].rows
    }
    selected = list(gen["insurances"]["selected"])
    counts["input_insurances_selected"] = create_table(
        con,
        "input_insurances_selected",
        {"insurer_id": "VARCHAR", "premium_eur_per_month": "DOUBLE"},
        {"insurer_id": selected, "premium_eur_per_month": [premiums[i] for i in selected]},
    )
    items = list(gen["finance"]["fixed_costs_monthly_eur"])
    vat_ex = set(gen["tax"]["vat_exempt_fixed_cost_items"])
    ap_ex = set(gen["working_capital"]["ap_exempt_fixed_cost_items"])
    counts["input_fixed_cost_items"] = create_table(
        con,
        "input_fixed_cost_items",
        {"item": "VARCHAR", "vat_exempt": "BOOLEAN", "ap_exempt": "BOOLEAN"},
        {"item": items, "vat_exempt": [i in vat_ex for i in items], "ap_exempt": [i in ap_ex for i in items]},
    )
    brackets = gen["tax"]["corporate_income_brackets"] or []  # unset: the flat rate, no bracket rows [FIN-4]
    counts["input_tax_brackets"] = create_table(
        con,
        "input_tax_brackets",
        {"bracket": "BIGINT", "up_to_eur": "DOUBLE", "pct": "DOUBLE"},
        {
            "bracket": list(range(1, len(brackets) + 1)),
            "up_to_eur": [b["up_to_eur"] for b in brackets],
            "pct": [b["pct"] for b in brackets],
        },
    )
    assets = gen["depreciation_schedule"]["assets"]
    counts["input_assets"] = create_table(
        con,
        "input_assets",
        {
            "name": "VARCHAR",
            "amount_eur": "DOUBLE",
            "months": "BIGINT",
            "start_month_index": "BIGINT",
            "funded_by": "VARCHAR",
        },
        {
            **{k: [a[k] for a in assets] for k in ("name", "amount_eur", "months", "start_month_index")},
            "funded_by": [a["funded_by"] for a in assets],  # resolved: not set = operations [FIN-2a]
        },
    )
    pcts = sim["stochastic"]["percentiles"]
    counts["input_percentiles"] = create_table(con, "input_percentiles", {"p": "BIGINT"}, {"p": pcts})
    packs = sim["report"]["credit_packs_eur"]
    counts["input_credit_packs"] = create_table(con, "input_credit_packs", {"pack_eur": "DOUBLE"}, {"pack_eur": packs})
    counts["input_resolved"] = _resolved_table(con, validated)
    return counts


def _resolved_table(con: duckdb.DuckDBPyConnection, validated: Validated) -> int:
    """`input_resolved`: every optional key of the YAML inputs, its value, and whether it was set ([V12-5])."""
    record = validated.resolved
    keys = sorted(record.states, key=lambda fk: (fk[0].encode(), fk[1].encode()))
    values = [_value_text(record.values[fk]) for fk in keys]
    return create_table(
        con,
        "input_resolved",
        {"file": "VARCHAR", "key_path": "VARCHAR", "value": "VARCHAR", "state": "VARCHAR", "domain_id": "VARCHAR"},
        {
            "file": [f for f, _ in keys],
            "key_path": [k for _, k in keys],
            "value": values,
            "state": [record.states[fk] for fk in keys],
            "domain_id": [record.entries[fk].domain for fk in keys],
        },
    )
