"""Typed `input_*` tables in run.duckdb: one table per dataset, plus normalised views of it.

A user can query exactly what the engine read (`SELECT * FROM input_curated_gpu`) and what it made
of it (`input_offers`, `input_models`, `input_throughput_measured`), and every optional key with its
resolved value and whether it was set, defaulted or left unset (`input_resolved`, [V12-5]).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import Described, comment_on, create_described_table, create_table
from d3_engine.inputs.key_docs import csv_column_comment, file_ids
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

SOURCE_LINE = "line of the row in its CSV file, for messages and provenance [unit: id]"
FILES_COLUMNS: Described = {
    "file": ("VARCHAR", "path of the input file relative to the bundle [IN-1] [unit: text]"),
    "sha256": ("VARCHAR", "sha256 of the file's bytes as read; the run's input fingerprint [OUT-7] [unit: id]"),
    "bytes": ("BIGINT", "size of the file [unit: count]"),
}
YAML_COLUMNS: Described = {
    "key_path": ("VARCHAR", "dotted path of a leaf key as written (list items as [i]) [unit: id]"),
    "value": ("VARCHAR", "the leaf's value as written, as text (true/false; null = empty) [unit: text]"),
}
OFFERS_COLUMNS: Described = {
    "gpu": ("VARCHAR", "GPU key: upper-case, whitespace collapsed [IN-10] [unit: id]"),
    "vram_gb": ("DOUBLE", "memory of one GPU [IN-10] [unit: GB]"),
    "provider": ("VARCHAR", "provider of the offer [IN-10] [unit: id]"),
    "usd_hr": (
        "DOUBLE",
        "price of one GPU-hour: price_per_gpu_hr, else price_usd_hr / num_gpus [IN-10] [unit: USD/GPU-hour]",
    ),
    "availability": ("DOUBLE", "availability of the offer (null in the file = 1.0) [IN-10] [unit: ratio]"),
    "reputation": ("DOUBLE", "reputation of the provider (null in the file = 1.0) [IN-10] [unit: ratio]"),
    "source_line": ("BIGINT", "line of the kept row in operator/curated_gpu.csv [unit: id]"),
}
MODELS_COLUMNS: Described = {
    "model": ("VARCHAR", "model identity: model + ' ' + variant [IN-11] [unit: id]"),
    "model_order": ("BIGINT", "position of the model in the file, from 0 [unit: id]"),
    "vram_gb_required": (
        "DOUBLE",
        "GPU memory the model needs (vram_gb_required, else weights_vram_4bit_gb_est) [IN-11] [unit: GB]",
    ),
    "params_b": (
        "DOUBLE",
        "billions of parameters active per token, null when not given [IN-11] [PUB-2] [unit: B params]",
    ),
    "hf_id": ("VARCHAR", "repository id, matched to tps_model_gpu.model_id [IN-11] [unit: id]"),
    "traffic_share": (
        "DOUBLE",
        "share of Public Tap traffic as written (renormalised over the admitted models) [PUB-7] [unit: ratio]",
    ),
    "source_line": ("BIGINT", "line of the row in operator/curated_public_tap_models.csv [unit: id]"),
}
THROUGHPUT_COLUMNS: Described = {
    "model_id": ("VARCHAR", "repository id of the measured model [IN-12] [unit: id]"),
    "gpu": ("VARCHAR", "GPU key of the measurement [IN-10] [unit: id]"),
    "tps": ("DOUBLE", "measured throughput per GPU: throughput_tokens_per_sec / gpu_count [PUB-2] [unit: tokens/s]"),
    "source_tag": ("VARCHAR", "where the measurement comes from (facts/tps_sources.yaml) [IN-12] [unit: id]"),
    "source_line": ("BIGINT", "line of the row in facts/tps_model_gpu.csv [unit: id]"),
}
BASELINES_COLUMNS: Described = {
    "gpu": ("VARCHAR", "GPU key [IN-10] [unit: id]"),
    "tokens_per_s": (
        "DOUBLE",
        "heuristic throughput of the GPU for a model of ref_params_b parameters [PUB-2] [unit: tokens/s]",
    ),
    "ref_params_b": ("DOUBLE", "model size the baseline throughput refers to [PUB-2] [unit: B params]"),
}
INSURANCES_SELECTED_COLUMNS: Described = {
    "insurer_id": ("VARCHAR", "an insurer of general.yaml insurances.selected, in that order [IN-7] [unit: id]"),
    "premium_eur_per_month": (
        "DOUBLE",
        "its example_premium_eur_per_month in facts/insurances.csv [IN-12] [FIN-1] [unit: EUR/month]",
    ),
}
FIXED_COST_ITEMS_COLUMNS: Described = {
    "item": ("VARCHAR", "a key of general.yaml finance.fixed_costs_monthly_eur, in file order [IN-7] [unit: id]"),
    "vat_exempt": ("BOOLEAN", "listed in tax.vat_exempt_fixed_cost_items: no input VAT on it [FIN-5] [unit: flag]"),
    "ap_exempt": (
        "BOOLEAN",
        "listed in working_capital.ap_exempt_fixed_cost_items: paid at once, no payables [FIN-6] [unit: flag]",
    ),
}
TAX_BRACKETS_COLUMNS: Described = {
    "bracket": ("BIGINT", "bracket number from 1, in the order of tax.corporate_income_brackets [FIN-4] [unit: id]"),
    "up_to_eur": ("DOUBLE", "upper bound of the taxable profit of the bracket (null = no bound) [FIN-4] [unit: EUR]"),
    "pct": ("DOUBLE", "tax rate on the profit within the bracket [FIN-4] [unit: percent]"),
}
ASSETS_COLUMNS: Described = {
    "name": ("VARCHAR", "asset name in depreciation_schedule.assets [FIN-2] [unit: text]"),
    "amount_eur": ("DOUBLE", "purchase amount (capex) of the asset [FIN-2] [unit: EUR]"),
    "months": ("BIGINT", "straight-line depreciation period [FIN-2] [unit: months]"),
    "start_month_index": ("BIGINT", "plan month the asset is bought and starts depreciating [FIN-2] [unit: month]"),
    "funded_by": ("VARCHAR", "operations or loan (not set = operations) [FIN-2a] [unit: text]"),
}
RESOLVED_COLUMNS: Described = {
    "file": ("VARCHAR", "input dataset of the key: simulation, general, public_tap, … [V12-5] [unit: id]"),
    "key_path": ("VARCHAR", "dotted path of the optional key (* = a mapping key, [] = a list item) [V12-5] [unit: id]"),
    "value": (
        "VARCHAR",
        "the resolved value as text: true/false, JSON for lists and maps, null = unset [V12-5] [unit: text]",
    ),
    "state": ("VARCHAR", "set (written in the file), default (DOMAIN's default applied) or unset [V12-5] [unit: text]"),
    "domain_id": ("VARCHAR", "the DOMAIN id that states the key's default [unit: id]"),
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
    rows = create_table(con, name, types, cols)
    described = {"source_line": SOURCE_LINE, **{c: csv_column_comment(schema_name, c) for c in table.columns}}
    purpose = f"{table.rel} as read, typed by its schema; one row per data row {file_ids(schema_name)}"
    comment_on(con, name, purpose, described)
    return rows


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


def write_inputs(
    con: duckdb.DuckDBPyConnection, validated: Validated, only: Collection[str] | None = None
) -> dict[str, int]:
    """Create every input_* table, or only those named in `only` (a throwaway database that needs a few, like the
    pricing preflight's: ~2 ms a table); returns row counts by table."""
    bundle, counts = validated.bundle, {}
    wanted = _wanted(only)
    if wanted("input_files"):
        counts["input_files"] = create_described_table(
            con,
            "input_files",
            "every file of the input bundle that was read, with its sha256 [IN-1] [OUT-7]",
            FILES_COLUMNS,
            {
                "file": [f.rel for f in bundle.files],
                "sha256": [f.sha256 for f in bundle.files],
                "bytes": [f.bytes for f in bundle.files],
            },
        )
    for dataset, table_name in CSV_TABLE_NAMES.items():
        if dataset in bundle.tables and wanted(table_name):
            counts[table_name] = _csv_table(con, table_name, dataset, bundle.tables[dataset])
    for scope, table in bundle.variables.items():
        if wanted(f"input_variables_{scope}"):
            counts[f"input_variables_{scope}"] = _csv_table(con, f"input_variables_{scope}", "variables", table)
    for name, doc in bundle.docs.items():
        if not wanted(f"input_{name}"):
            continue
        pairs = _flatten(doc.data)
        counts[f"input_{name}"] = create_described_table(
            con,
            f"input_{name}",
            f"{doc.rel} as read with --set [IN-20]: one row per leaf key (defaults: input_resolved) {file_ids(name)}",
            YAML_COLUMNS,
            {"key_path": [k for k, _ in pairs], "value": [v for _, v in pairs]},
        )
    counts.update(_normalised(con, validated, wanted))
    return counts


def _wanted(only: Collection[str] | None) -> Callable[[str], bool]:
    """Whether write_inputs creates a table: every one, or those named in `only`."""
    if only is None:
        return lambda _name: True
    names = frozenset(only)
    return names.__contains__


def _attribute_columns(items: Sequence[Any], described: Described, **attributes: str | None) -> dict[str, list[Any]]:
    """Each column of `described` as the list of the items' attribute of its name, or of the attribute `attributes`
    names for it (`source_line="line"`); a column named with None is left out (the caller gives it)."""
    return {
        column: [getattr(item, attributes.get(column) or column) for item in items]
        for column in described
        if attributes.get(column, column) is not None
    }


def _normalised(con: duckdb.DuckDBPyConnection, validated: Validated, wanted: Callable[[str], bool]) -> dict[str, int]:
    """Offers, models, throughput and list-valued settings in the shape models read."""
    from d3_engine.core.errors import Findings

    bundle, counts = validated.bundle, {}
    offers = validated.offers
    if wanted("input_offers"):
        counts["input_offers"] = create_described_table(
            con,
            "input_offers",
            "the GPU offers made of curated_gpu.csv: one per (gpu, provider), the cheapest of duplicates [IN-10]",
            OFFERS_COLUMNS,
            _attribute_columns(offers, OFFERS_COLUMNS, source_line="line"),
        )
    models = validated.models
    if wanted("input_models"):
        counts["input_models"] = create_described_table(
            con,
            "input_models",
            "the Public Tap model catalogue made of curated_public_tap_models.csv, one row per model identity [IN-11]",
            MODELS_COLUMNS,
            {
                **_attribute_columns(models, MODELS_COLUMNS, model="identity", source_line="line", model_order=None),
                "model_order": list(range(len(models))),
            },
        )
    rows = measured_throughput(bundle, Findings())
    if wanted("input_throughput_measured"):
        counts["input_throughput_measured"] = create_described_table(
            con,
            "input_throughput_measured",
            "the aggregate measurements of tps_model_gpu.csv the throughput choice uses [IN-12] [PUB-2]",
            THROUGHPUT_COLUMNS,
            _attribute_columns(rows, THROUGHPUT_COLUMNS, source_line="line"),
        )
    ref, per_gpu = baselines(bundle)
    if wanted("input_gpu_baselines"):
        counts["input_gpu_baselines"] = create_described_table(
            con,
            "input_gpu_baselines",
            "heuristic throughput per GPU key from facts/gpu_baselines.yaml (empty when absent) [IN-12] [PUB-2]",
            BASELINES_COLUMNS,
            {"gpu": list(per_gpu), "tokens_per_s": list(per_gpu.values()), "ref_params_b": [ref] * len(per_gpu)},
        )
    counts.update(_lists(con, validated, wanted))
    return counts


def _lists(con: duckdb.DuckDBPyConnection, validated: Validated, wanted: Callable[[str], bool]) -> dict[str, int]:
    """List-valued settings of the resolved general and simulation documents as tables ([V12-5])."""
    gen, counts = validated.doc("general"), {}
    premiums = {
        r.values.get("insurer_id"): r.values.get("example_premium_eur_per_month")
        for r in validated.bundle.tables["insurances"].rows
    }
    selected = list(gen["insurances"]["selected"])
    if wanted("input_insurances_selected"):
        counts["input_insurances_selected"] = create_described_table(
            con,
            "input_insurances_selected",
            "the selected insurers of general.yaml with their monthly premium [IN-7] [IN-12] [FIN-1]",
            INSURANCES_SELECTED_COLUMNS,
            {"insurer_id": selected, "premium_eur_per_month": [premiums[i] for i in selected]},
        )
    items = list(gen["finance"]["fixed_costs_monthly_eur"])
    vat_ex = set(gen["tax"]["vat_exempt_fixed_cost_items"])
    ap_ex = set(gen["working_capital"]["ap_exempt_fixed_cost_items"])
    if wanted("input_fixed_cost_items"):
        counts["input_fixed_cost_items"] = create_described_table(
            con,
            "input_fixed_cost_items",
            "the fixed-cost items of general.yaml and their VAT and payables exemptions [IN-7] [FIN-5] [FIN-6]",
            FIXED_COST_ITEMS_COLUMNS,
            {"item": items, "vat_exempt": [i in vat_ex for i in items], "ap_exempt": [i in ap_ex for i in items]},
        )
    brackets = gen["tax"]["corporate_income_brackets"] or []  # unset: the flat rate, no bracket rows [FIN-4]
    if wanted("input_tax_brackets"):
        counts["input_tax_brackets"] = create_described_table(
            con,
            "input_tax_brackets",
            "corporate income tax brackets of general.yaml; no rows = the flat corporate_income_pct [FIN-4]",
            TAX_BRACKETS_COLUMNS,
            {
                "bracket": list(range(1, len(brackets) + 1)),
                "up_to_eur": [b["up_to_eur"] for b in brackets],
                "pct": [b["pct"] for b in brackets],
            },
        )
    assets = gen["depreciation_schedule"]["assets"]
    if wanted("input_assets"):
        counts["input_assets"] = create_described_table(
            con,
            "input_assets",
            "the assets of general.yaml depreciation_schedule, resolved [FIN-2] [FIN-2a]",
            ASSETS_COLUMNS,
            {
                **{k: [a[k] for a in assets] for k in ("name", "amount_eur", "months", "start_month_index")},
                "funded_by": [a["funded_by"] for a in assets],  # resolved: not set = operations [FIN-2a]
            },
        )
    counts.update(_simulation_lists(con, validated, wanted))
    if wanted("input_resolved"):
        counts["input_resolved"] = _resolved_table(con, validated)
    return counts


def _simulation_lists(
    con: duckdb.DuckDBPyConnection, validated: Validated, wanted: Callable[[str], bool]
) -> dict[str, int]:
    """The percentiles and the credit packs of simulation.yaml as tables."""
    sim, counts = validated.simulation, {}
    pcts = sim["stochastic"]["percentiles"]
    if wanted("input_percentiles"):
        counts["input_percentiles"] = create_described_table(
            con,
            "input_percentiles",
            "the percentiles of simulation.yaml stochastic.percentiles: the p<q> rows of every series [GEN-5]",
            {"p": ("BIGINT", "a percentile q, 0..100 [GEN-5] [unit: percent]")},
            {"p": pcts},
        )
    packs = sim["report"]["credit_packs_eur"]
    if wanted("input_credit_packs"):
        counts["input_credit_packs"] = create_described_table(
            con,
            "input_credit_packs",
            "the credit pack sizes of simulation.yaml report.credit_packs_eur [PUB-10]",
            {"pack_eur": ("DOUBLE", "amount of a prepaid credit pack [PUB-10] [unit: EUR]")},
            {"pack_eur": packs},
        )
    return counts


def _resolved_table(con: duckdb.DuckDBPyConnection, validated: Validated) -> int:
    """`input_resolved`: every optional key of the YAML inputs, its value, and whether it was set ([V12-5])."""
    record = validated.resolved
    keys = sorted(record.states, key=lambda fk: (fk[0].encode(), fk[1].encode()))
    values = [_value_text(record.values[fk]) for fk in keys]
    return create_described_table(
        con,
        "input_resolved",
        "every optional key of the YAML inputs: its resolved value and whether it was set, defaulted or unset [V12-5]",
        RESOLVED_COLUMNS,
        {
            "file": [f for f, _ in keys],
            "key_path": [k for _, k in keys],
            "value": values,
            "state": [record.states[fk] for fk in keys],
            "domain_id": [record.entries[fk].domain for fk in keys],
        },
    )
