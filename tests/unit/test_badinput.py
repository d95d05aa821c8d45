"""The bad-input corpus: every structural validation code of [IN-18] provoked through the real CLI.

Each case copies `tests/fixtures/minimal_001` into tmp_path, breaks one thing, runs
`d3 validate --inputs X` (and for the cases marked `run`, `d3 run --inputs X --out OUT` where OUT
already holds a published run) and asserts:

- exit code 2 and one `error` event of kind VALIDATION_ERROR [CLI-2];
- a `validate_error` event with the expected code, file and the key/column in its message, and the
  same finding on stderr as `file:location: message — To fix this, …` [IN-18, ARCHITECTURE §6];
- no traceback; stdout is JSON lines ending with `run_done` [OUT-11];
- for run cases, the previous outputs folder is byte-identical [OUT-2].

The derived checks that need prices (tps_heuristic, price_capped_below_target, model_private_only,
no_admitted_model) are covered with the pricing models, not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SIM, MKT = "simulation.yaml", "facts/market_env.yaml"
GEN, PUB, PRV = "operator/general.yaml", "operator/public_tap.yaml", "operator/private_tap.yaml"
GPU, MOD = "operator/curated_gpu.csv", "operator/curated_public_tap_models.csv"
INS, TPS = "facts/insurances.csv", "facts/tps_model_gpu.csv"
VPUB, VGEN = "variables/public_tap.csv", "variables/general.csv"
VAR_HEADER = "variable_id,scope,path,type,unit,min,max,step,default,treatment,notes"
VAR_ROW = "pub_margin,public_tap,pricing_policy.public_tap.target_margin_pct,numeric,percent,40,80,5,60,fixed,x"
GPU_HEADER = "provider,gpu_model,gpu_vram_gb,price_per_gpu_hr,availability,reputation"
ADS = "channel_id,cost_model,currency,typical_value\ngoogle,cpc,USD,4.66\ngoogle,cpm,EUR,2.00\n"

SUPPORT = {"customers_per_fte": 1000, "clients_per_fte": 50, "cost_per_fte_month_eur": 4500}  # [FIN-1a]
InputsCopy = Any  # tests/conftest.py InputsCopy (conftest modules are not importable)
Mutation = Callable[[InputsCopy], Any]


@dataclass(frozen=True)
class Case:
    """One broken bundle and the finding it must produce."""

    id: str
    mutate: Mutation
    code: str
    file: str
    names: tuple[str, ...]  # names[0] (key/column) in location or message; the rest anywhere incl. hint
    args: tuple[str, ...] = ()
    run: bool = False  # also run `d3 run` against a published output folder
    original: str | None = None  # the warning code an escalated_warning keeps [IN-5]


def key(rel: str, dotted: str, value: Any) -> Mutation:
    return lambda b: b.set_key(rel, dotted, value)


def text(rel: str, old: str, new: str) -> Mutation:
    return lambda b: b.replace(rel, old, new)


def write(rel: str, content: str | bytes) -> Mutation:
    return lambda b: b.write(rel, content)


def cell(rel: str, row: int, column: str, value: str) -> Mutation:
    return lambda b: b.set_cell(rel, row, column, value)


def remove(rel: str) -> Mutation:
    return lambda b: b.remove(rel)


def both(*mutations: Mutation) -> Mutation:
    return lambda b: [m(b) for m in mutations]


def variable(**changes: str) -> Mutation:
    """Rewrite the fixture's one public variable with some cells changed."""
    header = VAR_HEADER.split(",")
    cells = dict(zip(header, VAR_ROW.split(","), strict=True)) | changes
    return write(VPUB, VAR_HEADER + "\n" + ",".join(cells[h] for h in header) + "\n")


def variables(rel: str, *rows: str, header: str = VAR_HEADER) -> Mutation:
    return write(rel, header + "\n" + "\n".join(rows) + "\n")


def _escape_link(b: InputsCopy) -> None:
    outside = b.root.parent / "outside-insurances.csv"
    outside.write_text("insurer_id,example_premium_eur_per_month\nins_a,20\n", encoding="utf-8")
    b.remove(INS)
    b.path(INS).symlink_to(outside)


def _link_loop(b: InputsCopy) -> None:
    b.remove(INS)
    b.path(INS).symlink_to("insurances.csv")


def _drop_lines(rel: str, needle: str) -> Mutation:
    return lambda b: b.write(rel, "".join(ln + "\n" for ln in b.read(rel).splitlines() if needle not in ln))


def _no_seed(b: InputsCopy) -> None:
    for rel, dotted in ((SIM, "run.random_seed"), (PUB, "meta.seed"), (PRV, "meta.seed")):
        b.set_key(rel, dotted, None)


SHADOW = write("facts/insurances.yaml", "- insurer_id: ins_a\n  example_premium_eur_per_month: 20\n")
INS_AS_YAML = both(
    remove(INS), write("facts/insurances.yaml", "- insurer_id: ins_a\n  example_premium_eur_per_mnth: 2\n")
)
BOMB = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" + "".join(
    f"{x}: &{x} [{', '.join([f'*{p}'] * 10)}]\n" for p, x in zip("abcde", "bcdef", strict=True)
)
FAIL = ("--fail-on-warning",)
UNKNOWN_FILE = ("not part of",)

# fmt: off
CASES = [
    # [IN-1] required files
    Case("missing_simulation", remove(SIM), "missing_file", SIM, (SIM,), run=True),
    Case("missing_general", remove(GEN), "missing_file", GEN, (GEN,)),
    Case("missing_public_tap", remove(PUB), "missing_file", PUB, (PUB, "public pipeline")),
    Case("missing_curated_gpu", remove(GPU), "missing_file", GPU, (GPU,)),
    Case("missing_models", remove(MOD), "missing_file", MOD, (MOD,)),
    Case("missing_market_env", remove(MKT), "missing_file", MKT, (MKT,)),
    Case("missing_insurances", remove(INS), "missing_file", INS, (INS,)),
    # [IN-2] parsing
    Case("duplicate_yaml_key", lambda b: b.append(GEN, "reserves: {reserve_months_target: 3}"), "parse_error",
         GEN, ("duplicate key 'reserves'", "line 48"), run=True),
    Case("yaml_syntax", text(PUB, "meta:", "meta: [oops"), "parse_error", PUB, ("line 2",)),
    Case("yaml_tab_indent", text(MKT, "    value: 1.25", "\tvalue: 1.25"), "parse_error", MKT, ("line 3", "\\t")),
    Case("yaml_two_documents", lambda b: b.append(MKT, "---\nother: {}"), "parse_error", MKT, ("single document",)),
    Case("yaml_alias_bomb", write("facts/tps_sources.yaml", BOMB), "parse_error", "facts/tps_sources.yaml",
         ("expands to more than",)),
    Case("empty_yaml", write(GEN, ""), "parse_error", GEN, ("empty",)),
    Case("yaml_not_mapping", write(GEN, "- a\n- b\n"), "type_error", GEN, ("top level", "mapping")),
    Case("empty_csv", write(INS, ""), "parse_error", INS, ("empty",)),
    Case("field_count", text(GPU, "Beta,GPU-A,24,0.40,0.5,1.0", "Beta,GPU-A,24,0.40,0.5,1.0,x"), "parse_error",
         GPU, ("line 3", "7 fields", "header has 6")),
    Case("unclosed_quote", text(INS, "ins_a,", '"ins_a,'), "parse_error", INS, ("line 2", "quote")),
    Case("bad_utf8", write(INS, b"insurer_id,example_premium_eur_per_month\nins_\xff,20\n"), "parse_error", INS,
         ("line 2", "UTF-8")),
    Case("unsafe_symlink", _escape_link, "unsafe_path", INS, ("outside the inputs folder",), run=True),
    Case("symlink_loop", _link_loop, "unsafe_path", INS, ("loops",)),
    # [IN-3] columns and keys
    Case("missing_column", write(GPU, "provider,gpu_model,price_per_gpu_hr\nAlpha,GPU-A,0.5\n"), "missing_column",
         GPU, ("gpu_vram_gb",)),
    Case("misspelt_column", text(VPUB, "treatment", "treatmnet"), "unknown_column", VPUB,
         ("treatmnet", "did you mean 'treatment'")),
    Case("extra_column", variables(VPUB, VAR_ROW + ",ann", header=VAR_HEADER + ",owner"), "unknown_column", VPUB,
         ("owner",)),
    Case("required_cell_empty", cell(INS, 0, "insurer_id", ""), "missing_column", INS, ("insurer_id", "line 2")),
    Case("alias_conflict", write(GPU, "provider,gpu_model,gpu,gpu_vram_gb,price_per_gpu_hr\nAlpha,GPU-A,GPU-A,24,1\n"
         "Alpha,GPU-B,GPU-B,48,1.5\n"), "alias_conflict", GPU, ("'gpu'", "gpu_model"), run=True),
    Case("unknown_key", text(GEN, "contingency_pct", "contingncy_pct"), "unknown_key", GEN,
         ("finance.contingncy_pct", "did you mean 'contingency_pct'"), run=True),
    Case("unknown_top_key", text(SIM, "logging:", "loging:"), "unknown_key", SIM, ("loging", "did you mean 'logging'")),
    Case("unknown_fx_entry_key", text(MKT, "unit: ratio", "unti: ratio"), "unknown_key", MKT,
         ("finance.eur_usd_fx_rate.unti", "did you mean 'unit'")),
    Case("missing_key", lambda b: b.del_key(GEN, "loan.term_months"), "missing_key", GEN, ("loan.term_months",)),
    Case("yaml_dataset_misspelt_column", INS_AS_YAML, "missing_column", "facts/insurances.yaml",
         ("example_premium_eur_per_month", "is 'example_premium_eur_per_mnth' meant to be it?")),
    # types [IN-2]
    Case("yaml_text_for_number", key(GEN, "loan.amount_eur", "lots"), "type_error", GEN, ("loan.amount_eur", "lots")),
    Case("csv_text_for_number", cell(GPU, 0, "gpu_vram_gb", "lots"), "type_error", GPU, ("gpu_vram_gb", "lots")),
    Case("csv_nan", cell(GPU, 1, "price_per_gpu_hr", "NaN"), "type_error", GPU, ("price_per_gpu_hr", "NaN"),
         run=True),
    Case("csv_inf", cell(TPS, 0, "throughput_tokens_per_sec", "inf"), "type_error", TPS,
         ("throughput_tokens_per_sec", "inf")),
    Case("yaml_nan", text(PUB, "churn_pct_mom: 10", "churn_pct_mom: .nan"), "type_error", PUB,
         ("acquisition.churn_pct_mom", "NaN")),
    Case("yaml_inf", text(GEN, "equity_injection_eur: 3000", "equity_injection_eur: .inf"), "type_error", GEN,
         ("finance.equity_injection_eur", "infinity")),
    Case("csv_thousands", cell(INS, 0, "example_premium_eur_per_month", '"1,020.00"'), "type_error", INS,
         ("example_premium_eur_per_month", "thousands separator")),
    Case("yaml_thousands", text(GEN, "amount_eur: 12000", "amount_eur: 12,000"), "type_error", GEN,
         ("loan.amount_eur", "thousands separators")),
    Case("yaml_underscore_number", text(GEN, "amount_eur: 12000", "amount_eur: 12_000"), "type_error", GEN,
         ("loan.amount_eur", "12_000")),
    Case("yaml_bool_for_number", text(GEN, "bizdev_budget_monthly_eur: 0", "bizdev_budget_monthly_eur: yes"),
         "type_error", GEN, ("finance.bizdev_budget_monthly_eur", "boolean")),
    Case("csv_bool_for_number", cell(GPU, 0, "availability", "true"), "type_error", GPU, ("availability", "boolean")),
    Case("yaml_not_integer", key(GEN, "loan.term_months", 12.5), "type_error", GEN, ("loan.term_months", "whole")),
    Case("yaml_float_for_integer", key(GEN, "loan.term_months", 12.0), "type_error", GEN, ("loan.term_months", "12.0")),
    Case("csv_not_integer", cell(TPS, 0, "gpu_count", "1.5"), "type_error", TPS, ("gpu_count", "whole")),
    # ranges and enums [IN-6 … IN-12]
    Case("yaml_out_of_range", key(PUB, "pricing_policy.public_tap.target_margin_pct", 120), "out_of_range", PUB,
         ("pricing_policy.public_tap.target_margin_pct", "120", "95")),
    Case("csv_out_of_range", cell(GPU, 0, "availability", "1.5"), "out_of_range", GPU, ("availability", "1.5")),
    Case("horizon_zero", key(SIM, "targets.horizon_months", 0), "out_of_range", SIM, ("targets.horizon_months",)),
    Case("credit_pack_outside_topup", key(SIM, "report.credit_packs_eur", [2000]), "out_of_range", SIM,
         ("report.credit_packs_eur", "2000", "1000")),
    Case("bad_enum_measurement_type", cell(TPS, 0, "measurement_type", "aggregated"), "bad_enum", TPS,
         ("measurement_type", "aggregated")),
    Case("bad_enum_repayment_type", key(GEN, "loan.repayment_type", "balloon"), "bad_enum", GEN,
         ("loan.repayment_type", "balloon", "annuity")),
    Case("bad_enum_vat_period", key(GEN, "tax.vat_period_months", 2), "bad_enum", GEN, ("tax.vat_period_months",)),
    # growth a lender believes and costs that scale [PUB-8b] [FIN-1a]: cap > 0, elasticity 0–1 (DOMAIN §11.5; the
    # issue's 0–2 is not the spec), market a whole count > 0, fee 0–20 %, FTE ratios > 0, cost per FTE ≥ 0
    Case("budget_cap_zero", key(PUB, "acquisition.budget_cap_eur", 0), "out_of_range", PUB,
         ("acquisition.budget_cap_eur", "0", "> 0"), run=True),
    Case("budget_cap_negative", key(PRV, "acquisition.budget_cap_eur", -100), "out_of_range", PRV,
         ("acquisition.budget_cap_eur", "-100", "> 0")),
    Case("cac_elasticity_above_one", key(PUB, "acquisition.cac_elasticity", 1.5), "out_of_range", PUB,
         ("acquisition.cac_elasticity", "1.5", "[0, 1]")),
    Case("cac_elasticity_negative", key(PRV, "acquisition.cac_elasticity", -0.1), "out_of_range", PRV,
         ("acquisition.cac_elasticity", "-0.1", "[0, 1]")),
    Case("addressable_market_zero", key(PUB, "acquisition.addressable_customers", 0), "out_of_range", PUB,
         ("acquisition.addressable_customers", "0", "> 0"), run=True),
    Case("addressable_market_fraction", key(PRV, "acquisition.addressable_customers", 300.5), "type_error", PRV,
         ("acquisition.addressable_customers", "whole")),
    Case("payment_fee_above_20", key(GEN, "finance.payment_fee_pct", 25), "out_of_range", GEN,
         ("finance.payment_fee_pct", "25", "[0, 20]"), run=True),
    Case("payment_fee_negative", key(GEN, "finance.payment_fee_pct", -1), "out_of_range", GEN,
         ("finance.payment_fee_pct", "-1", "[0, 20]")),
    Case("fte_ratio_zero", key(GEN, "finance.support", SUPPORT | {"customers_per_fte": 0}), "out_of_range", GEN,
         ("finance.support.customers_per_fte", "0", "> 0"), run=True),
    Case("client_fte_ratio_negative", key(GEN, "finance.support", SUPPORT | {"clients_per_fte": -5}), "out_of_range",
         GEN, ("finance.support.clients_per_fte", "-5", "> 0")),
    Case("cost_per_fte_negative", key(GEN, "finance.support", SUPPORT | {"cost_per_fte_month_eur": -1}),
         "out_of_range", GEN, ("finance.support.cost_per_fte_month_eur", "-1", "≥ 0")),
    Case("support_block_incomplete", key(GEN, "finance.support", {"customers_per_fte": 1000}), "missing_key", GEN,
         ("finance.support", "clients_per_fte")),
    Case("bad_enum_logging_level", key(SIM, "logging.level", "VERBOSE"), "bad_enum", SIM, ("logging.level",)),
    Case("bad_enum_cost_model", write("facts/ads_channels.csv", ADS.replace("cpm", "cpa")), "bad_enum",
         "facts/ads_channels.csv", ("cost_model", "cpa")),
    # [IN-13 … IN-16] variables
    Case("off_lattice_default", variable(default="62"), "lattice", VPUB, ("default", "62"), run=True),
    Case("lattice_not_integer", variable(max="81"), "lattice", VPUB, ("max",)),
    Case("percent_written_as_fraction", variable(min="0", max="0.55", step="0.05", default="0.5"), "unit_range",
         VPUB, ("max", "0.55")),
    Case("unit_mismatch", variable(unit="fraction", min="0", max="1", step="0.05", default="0.6"), "unit_range",
         VPUB, ("unit", "fraction", "percent")),
    Case("variable_outside_roots", variables(VGEN, "start,general,calendar.start_year,numeric,count,2020,2030,1,"
         "2026,fixed,"), "variable_path", VGEN, ("calendar.start_year", "finance.")),
    Case("variable_unknown_leaf", variable(path="pricing_policy.public_tap.target_margin"), "variable_path", VPUB,
         ("pricing_policy.public_tap.target_margin", "did you mean")),
    Case("variable_wrong_scope", variable(scope="private_tap"), "variable_schema", VPUB, ("scope", "private_tap")),
    Case("variable_duplicate_id", lambda b: b.append(VPUB, VAR_ROW.replace("target_margin_pct", "round_increment")
         .replace("percent,40,80,5,60", "EUR_per_1k,0.0001,0.001,0.0001,0.0001")), "variable_schema", VPUB,
         ("pub_margin", "repeats line 2")),
    Case("distribution_on_fixed", variables(VPUB, VAR_ROW + ",normal", header=VAR_HEADER + ",distribution"),
         "variable_schema", VPUB, ("distribution",)),
    Case("bad_discrete_value", variables(VGEN, "repay,general,loan.repayment_type,discrete,enum,,,,annuity,"
         "low_to_high,values=annuity|balloon"), "bad_discrete_value", VGEN, ("balloon", "loan.repayment_type")),
    Case("interval_lattice", variables(VPUB, "eval,public_tap,autoscaling.evaluation_interval_s,numeric,seconds,"
         "50,70,10,60,low_to_high,"), "lattice", VPUB, ("70", "86400")),
    # [IN-5] warnings escalated
    Case("fraction_like_percent_escalated", key(GEN, "finance.contingency_pct", 0.5), "escalated_warning", GEN,
         ("finance.contingency_pct",), args=FAIL, original="percent_looks_like_fraction"),
    Case("shadowed_dataset_escalated", SHADOW, "escalated_warning", "facts/insurances.yaml",
         ("facts/insurances.csv",), args=FAIL, run=True, original="shadowed_dataset"),
    Case("unknown_file_escalated", write("operator/notes.txt", "hi\n"), "escalated_warning", "operator/notes.txt",
         UNKNOWN_FILE, args=FAIL, original="unknown_input_file"),
    Case("fail_on_warning_in_yaml", both(key(SIM, "run.fail_on_warning", True), write("facts/x.csv", "a\n1\n")),
         "escalated_warning", "facts/x.csv", UNKNOWN_FILE, original="unknown_input_file"),
    # [IN-7, IN-9] references, brackets, cross-key rules
    Case("unknown_insurer", key(GEN, "insurances.selected", ["ins_x"]), "unknown_reference", GEN,
         ("insurances.selected", "ins_x", "ins_a"), run=True),
    Case("insurer_without_premium", both(lambda b: b.append(INS, "ins_b,"), key(GEN, "insurances.selected",
         ["ins_b"])), "unknown_reference", GEN, ("ins_b", "premium")),
    Case("unknown_vat_exempt_item", key(GEN, "tax.vat_exempt_fixed_cost_items", ["rnt"]), "unknown_reference",
         GEN, ("tax.vat_exempt_fixed_cost_items", "rnt", "did you mean 'rent'")),
    Case("unknown_ap_exempt_item", key(GEN, "working_capital.ap_exempt_fixed_cost_items", ["salaries"]),
         "unknown_reference", GEN, ("working_capital.ap_exempt_fixed_cost_items", "salaries", "rent")),
    Case("gpu_mix_unknown_gpu", key(PRV, "client_gpu_mix", {"GPU-A": 0.5, "GPU-Z": 0.5}), "unknown_reference", PRV,
         ("client_gpu_mix", "GPU-Z", "GPU-A, GPU-B")),
    Case("base_fee_unknown_gpu", key(PRV, "prepaid_policy.private_tap.base_fee_by_gpu_class", {"H100": 10}),
         "unknown_reference", PRV, ("base_fee_by_gpu_class", "H100")),
    Case("brackets_last_has_bound", key(GEN, "tax.corporate_income_brackets", [{"up_to_eur": 1000, "pct": 19}]),
         "bad_brackets", GEN, ("tax.corporate_income_brackets", "last")),
    Case("brackets_not_ascending", key(GEN, "tax.corporate_income_brackets", [{"up_to_eur": 5000, "pct": 10},
         {"up_to_eur": 1000, "pct": 19}, {"pct": 25}]), "bad_brackets", GEN, ("tax.corporate_income_brackets",
         "ascending")),
    Case("brackets_empty", key(GEN, "tax.corporate_income_brackets", []), "bad_brackets", GEN,
         ("tax.corporate_income_brackets", "empty")),
    Case("floor_above_cap", key(PUB, "pricing_policy.public_tap.min_floor_eur_per_1k", 0.02),
         "inconsistent_thresholds", PUB, ("min_floor_eur_per_1k", "max_cap_eur_per_1k")),
    Case("grace_not_below_term", key(GEN, "loan.grace_period_months", 12), "inconsistent_thresholds", GEN,
         ("loan.grace_period_months", "loan.term_months")),
    Case("interval_not_dividing_day", key(PUB, "autoscaling.evaluation_interval_s", 7), "inconsistent_thresholds",
         PUB, ("evaluation_interval_s", "86400")),
    Case("scale_down_not_below_up", key(PUB, "autoscaling.scale_down_threshold_pct", 90),
         "inconsistent_thresholds", PUB, ("scale_down_threshold_pct", "scale_up_threshold_pct")),
    Case("min_instances_above_max", key(PUB, "autoscaling.min_instances_per_model", 11),
         "inconsistent_thresholds", PUB, ("min_instances_per_model", "max_instances_per_model")),
    Case("min_topup_above_max", key(PUB, "prepaid_policy.credits.min_topup_eur", 2000), "inconsistent_thresholds",
         PUB, ("min_topup_eur", "max_topup_eur")),
    Case("grid_breaks_cap", variables(VPUB, "cap,public_tap,pricing_policy.public_tap.max_cap_eur_per_1k,numeric,"
         "EUR_per_1k,0.0005,0.01,0.0005,0.01,low_to_high,"), "inconsistent_thresholds", PUB,
         ("min_floor_eur_per_1k", "grid point 0")),
    # [IN-6] run plan
    Case("percentiles_without_50", key(SIM, "stochastic.percentiles", [10, 90]), "bad_percentiles", SIM,
         ("stochastic.percentiles", "50")),
    Case("percentiles_descending", key(SIM, "stochastic.percentiles", [90, 50, 10]), "bad_percentiles", SIM,
         ("stochastic.percentiles", "ascending")),
    Case("percentiles_out_of_range", key(SIM, "stochastic.percentiles", [0, 50]), "bad_percentiles", SIM,
         ("stochastic.percentiles",)),
    Case("pipelines_unknown", key(SIM, "run.pipelines", ["public", "gpu"]), "bad_pipelines", SIM,
         ("run.pipelines", "gpu")),
    Case("pipelines_duplicate", key(SIM, "run.pipelines", ["public", "public"]), "bad_pipelines", SIM,
         ("run.pipelines",)),
    Case("pipelines_empty", key(SIM, "run.pipelines", []), "bad_pipelines", SIM, ("run.pipelines",)),
    Case("pipelines_cli", lambda b: None, "bad_pipelines", "--pipelines", ("cpu",), args=("--pipelines", "cpu"),
         run=True),
    Case("pipelines_cli_empty", lambda b: None, "bad_pipelines", "--pipelines", ("names no pipeline",),
         args=("--pipelines", ",")),
    Case("missing_seed", _no_seed, "missing_seed", SIM, ("no random seed", "run.random_seed", "--seed"), run=True),
    Case("too_many_paths", both(key(SIM, "run.random_runs_per_simulation", 10), key(SIM,
         "stochastic.simulations_per_run", 10), key(SIM, "run.max_paths", 50)), "too_many_paths", SIM,
         ("run.max_paths", "100 paths"), run=True),
    Case("missing_fx", key(MKT, "finance.eur_usd_fx_rate", {"unit": "ratio"}), "missing_fx", MKT,
         ("finance.eur_usd_fx_rate.value", "missing")),
    Case("fx_zero", key(MKT, "finance.eur_usd_fx_rate.value", 0), "missing_fx", MKT,
         ("finance.eur_usd_fx_rate.value", "> 0")),
    # [IN-17] weights
    Case("zero_channel_weights", key(PUB, "acquisition.channel_allocation", {"search": 0}), "zero_weights", PUB,
         ("acquisition.channel_allocation",)),
    Case("zero_vendor_weights", key(PRV, "pricing_policy.private_tap.vendor_weights", {"cost": 0,
         "availability": 0, "reputation": 0}), "zero_weights", PRV, ("vendor_weights",)),
    Case("zero_traffic", both(cell(MOD, 0, "traffic_share", "0"), cell(MOD, 1, "traffic_share", "0")),
         "zero_weights", MOD, ("traffic_share",)),
    # [IN-10 … IN-12] offers, catalogue, facts
    Case("header_only_gpu", write(GPU, GPU_HEADER + "\n"), "no_offer", GPU, ("no usable offer",)),
    Case("header_only_models", write(MOD, "model,variant,vram_gb_required\n"), "bad_model", MOD, ("no model rows",)),
    Case("empty_model_cell", cell(MOD, 0, "model", ""), "bad_model", MOD, ("model", "line 2")),
    Case("bad_offer_no_price", cell(GPU, 0, "price_per_gpu_hr", ""), "bad_offer", GPU, ("line 2", "price")),
    Case("bad_offer_sku_without_count", write(GPU, "provider,gpu_model,gpu_vram_gb,price_per_gpu_hr,price_usd_hr\n"
         "Alpha,GPU-A,24,,2.0\nAlpha,GPU-B,48,1.5,\n"), "bad_offer", GPU, ("num_gpus", "line 2")),
    Case("bad_offer_zero_vram", cell(GPU, 2, "gpu_vram_gb", "0"), "bad_offer", GPU, ("gpu_vram_gb", "line 4")),
    Case("bad_offer_two_vram", cell(GPU, 1, "gpu_vram_gb", "40"), "bad_offer", GPU, ("GPU-A", "40", "24"),
         run=True),
    Case("duplicate_insurer", lambda b: b.append(INS, "ins_a,30"), "duplicate_id", INS, ("insurer_id", "ins_a")),
    Case("duplicate_channel", write("facts/ads_channels.csv", ADS), "duplicate_id", "facts/ads_channels.csv",
         ("channel_id", "google")),
    Case("duplicate_model", lambda b: b.append(MOD, "Small,7B,16,7,org/small-7b,0"), "bad_model", MOD,
         ("Small 7B", "line 4")),
    Case("model_fits_no_gpu", cell(MOD, 1, "vram_gb_required", "100"), "model_fits_no_gpu", MOD,
         ("Large 30B", "100")),
    Case("no_throughput", _drop_lines(TPS, "large-30b"), "no_throughput", MOD, ("Large 30B",)),
    Case("zero_gpu_count", cell(TPS, 0, "gpu_count", "0"), "out_of_range", TPS, ("gpu_count",)),
    # v1.2 keys [V12-1]: funding line [FIN-7a], funded capex [FIN-2a], breach target [ACC-A13]
    Case("funding_rate_negative", key(GEN, "funding_line.interest_rate_pct", -1), "out_of_range", GEN,
         ("funding_line.interest_rate_pct", "-1"), run=True),
    Case("funding_limit_negative", key(GEN, "funding_line.limit_eur", -500), "out_of_range", GEN,
         ("funding_line.limit_eur", "-500"), run=True),
    Case("funded_by_not_an_enum", text(GEN, "      start_month_index: 1\n", "      start_month_index: 1\n"
         "      funded_by: bank\n"), "bad_enum", GEN, ("funded_by", "bank", "loan"), run=True),
    Case("funded_by_loan_not_month_1", text(GEN, "      start_month_index: 1\n", "      start_month_index: 2\n"
         "      funded_by: loan\n"), "out_of_range", GEN, ("funded_by", "month 2", "start_month_index: 1"), run=True),
    Case("max_breach_probability_above_100", key(SIM, "targets.max_breach_probability_pct", 150), "out_of_range",
         SIM, ("targets.max_breach_probability_pct", "150"), run=True),
    Case("max_breach_probability_negative", key(SIM, "targets.max_breach_probability_pct", -5), "out_of_range",
         SIM, ("targets.max_breach_probability_pct", "-5")),
]
# fmt: on
RUN_CASES = [c for c in CASES if c.run]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_rejects(
    case: Case, minimal: InputsCopy, d3: Callable[..., Any], assert_finding: Callable[..., Any]
) -> None:
    """`d3 validate` exits 2 and names code, file and key of the broken input [IN-18]."""
    case.mutate(minimal)
    outcome = d3("validate", "--inputs", minimal.root, *case.args)
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr
    outcome.assert_contract()
    assert_finding(outcome, case.code, case.file, case.names, case.original)
    assert outcome.of("validate_done")[0]["errors"] >= 1
    assert outcome.of("error")[0]["kind"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("case", RUN_CASES, ids=[c.id for c in RUN_CASES])
def test_run_rejects_and_keeps_previous_outputs(
    case: Case,
    minimal: InputsCopy,
    previous_out: Path,
    d3: Callable[..., Any],
    assert_finding: Callable[..., Any],
    tree_digest: Callable[[Path], dict[str, str]],
) -> None:
    """`d3 run` on bad input exits 2 and leaves a published output folder byte-identical [OUT-2]."""
    before = tree_digest(previous_out)
    case.mutate(minimal)
    outcome = d3("run", "--inputs", minimal.root, "--out", previous_out, *case.args)
    assert outcome.exit_code == 2, outcome.stdout + outcome.stderr
    outcome.assert_contract()
    assert_finding(outcome, case.code, case.file, case.names, case.original)
    assert tree_digest(previous_out) == before


def test_corpus_covers_every_structural_code() -> None:
    """At least 45 cases, every non-derived ERROR code of IN-18 and a dozen `d3 run` cases."""
    codes = {c.code for c in CASES} | {c.original for c in CASES if c.original}
    needed = {
        "missing_file", "parse_error", "unknown_key", "unknown_column", "missing_key", "missing_column",
        "alias_conflict", "duplicate_id", "type_error", "out_of_range", "bad_enum", "inconsistent_thresholds",
        "bad_percentiles", "bad_pipelines", "missing_seed", "missing_fx", "bad_offer", "no_offer", "bad_model",
        "unknown_reference", "bad_brackets", "model_fits_no_gpu", "no_throughput", "variable_schema", "lattice",
        "bad_discrete_value", "unit_range", "variable_path", "zero_weights", "too_many_paths", "escalated_warning",
        "shadowed_dataset", "unknown_input_file", "percent_looks_like_fraction", "unsafe_path",
    }  # fmt: skip
    assert needed <= codes, needed - codes
    assert len(CASES) >= 45 and len(RUN_CASES) >= 10
    assert len({c.id for c in CASES}) == len(CASES)
