"""The resolved-input record: every optional key's value, its DOMAIN default, or an explicit *unset* ([V12-5]).

`OPTIONAL_KEYS` is the one table of optional keys and columns of every input file, with the value
that stands for "not set" (DOMAIN §1 key tables, §11). The inputs stage resolves the YAML documents
once (`resolve_inputs`); every later stage (plan, models, checks, export, report) reads the
resolved documents and never applies a default of its own. CSV columns are resolved where their
rows are normalised (`column_default`, used by `offers.py`). A default that depends on other values
(e.g. the equal split of `client_gpu_mix` over the curated GPUs) is `UNSET` here and resolved once
per parameter set where parameters are built (`plan/params.py`); its note says so.

A key path is dotted; `*` stands for every key of a mapping and `[]` for every item of a list, as
in the JSON Schemas of `specs/schemas/` (a test holds the table and the schemas in step).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Final, Literal


class _Unset:
    """The marker of a key that has no default: not set stays *unset* (null in every table)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
State = Literal["set", "default", "unset"]


@dataclass(frozen=True)
class OptionalKey:
    """One optional key of one input file: what "not set" means, and where DOMAIN says so."""

    file: str  # dataset name: simulation, general, public_tap, private_tap, curated_gpu, …
    key: str  # dotted path, `*` = any mapping key, `[]` = any list item
    default: Any  # the value when not set, or UNSET
    domain: str  # DOMAIN id
    note: str = ""  # what unset means, or where a derived default is resolved


def _context_fields(prefix: str) -> list[OptionalKey]:
    """The optional fields of one `facts/market_env.yaml` entry (context only, [IN-12])."""
    return [
        OptionalKey("market_env", f"{prefix}.{name}", UNSET, "IN-12", "context only")
        for name in ("unit", "low", "high", "source", "source_date", "notes")
    ]


def _growth_limits(tap: str) -> list[OptionalKey]:
    """The [PUB-8b] acquisition keys of one tap; not set = the 1.1 behaviour (no cap, constant CAC, no market)."""
    return [
        OptionalKey(tap, "acquisition.budget_cap_eur", UNSET, "PUB-8b", "no cap: the budget grows as in 1.1"),
        OptionalKey(tap, "acquisition.cac_elasticity", 0, "PUB-8b", "constant CAC"),
        OptionalKey(tap, "acquisition.addressable_customers", UNSET, "PUB-8b", "no saturation and no room cap"),
    ]


_NO_FX = "required by the missing_fx rule, not by the schema"
_ACC = "the check (or its part) is skipped"

OPTIONAL_KEYS: Final[tuple[OptionalKey, ...]] = (
    # simulation.yaml [IN-6]
    OptionalKey("simulation", "run.random_seed", UNSET, "RNG-1", "next seed in the precedence"),
    OptionalKey("simulation", "run.max_concurrency", 1, "CLI-1", "--max-concurrency wins; never changes artefacts"),
    OptionalKey("simulation", "stochastic.random_seed", UNSET, "RNG-1", "next seed in the precedence"),
    OptionalKey("simulation", "targets.public_growth_min_mom_pct", UNSET, "ACC-A2", _ACC),
    OptionalKey("simulation", "targets.min_monthly_dscr", UNSET, "ACC-A12", _ACC + "; verdict not tested"),
    OptionalKey("simulation", "targets.dscr_test_from_month", 12, "ACC-A12"),
    OptionalKey("simulation", "targets.min_cash_floor_eur", UNSET, "V12-5", "ACC-A12 cash part skipped; FIN-14 uses 0"),
    OptionalKey("simulation", "targets.max_breach_probability_pct", 10, "ACC-A13", "at most 10 % of paths may breach"),
    OptionalKey("simulation", "stress_tests", [], "IN-21", "no stress test"),
    OptionalKey("simulation", "stress_tests.[].set", {}, "IN-21", "no key set"),
    OptionalKey("simulation", "stress_tests.[].scale", {}, "IN-21", "no key scaled"),
    # operator/general.yaml [IN-7]
    OptionalKey("general", "meta", {}, "IN-7"),
    OptionalKey("general", "meta.description", UNSET, "IN-7", "text only"),
    OptionalKey("general", "tax.vat_period_months", 1, "FIN-5", "monthly VAT periods"),
    OptionalKey("general", "tax.corporate_income_brackets", UNSET, "FIN-4", "flat tax.corporate_income_pct"),
    OptionalKey("general", "tax.corporate_income_brackets.[].up_to_eur", UNSET, "FIN-4", "the last bracket: no bound"),
    OptionalKey("general", "tax.payment_lag_months", 0, "FIN-4", "tax paid in its month"),
    OptionalKey("general", "working_capital.ap_exempt_fixed_cost_items", [], "FIN-6", "no item is AP-exempt"),
    OptionalKey("general", "depreciation_schedule.assets.[].funded_by", "operations", "FIN-2a", "operating capex"),
    OptionalKey("general", "funding_line", {}, "FIN-7a"),
    OptionalKey("general", "funding_line.interest_rate_pct", UNSET, "FIN-7a", "the set's loan rate, in plan/params.py"),
    OptionalKey("general", "funding_line.limit_eur", UNSET, "FIN-7a", "no limit: the line only measures the gap"),
    OptionalKey("general", "finance.payment_fee_pct", 0, "FIN-1a", "no payment fees"),
    OptionalKey("general", "finance.support", UNSET, "FIN-1a", "no support staff: support cost 0"),
    # operator/public_tap.yaml [IN-8]
    OptionalKey("public_tap", "meta.seed", UNSET, "RNG-1", "next seed in the precedence"),
    OptionalKey("public_tap", "meta.description", UNSET, "IN-8", "text only"),
    OptionalKey("public_tap", "pricing_policy.public_tap.min_floor_eur_per_1k", UNSET, "PUB-5", "no floor"),
    OptionalKey("public_tap", "pricing_policy.public_tap.max_cap_eur_per_1k", UNSET, "PUB-5", "no cap"),
    OptionalKey("public_tap", "pricing_policy.public_tap.non_gpu_costs", {}, "PUB-3"),
    OptionalKey("public_tap", "pricing_policy.public_tap.non_gpu_costs.base_eur_per_1M", 0, "PUB-3"),
    OptionalKey("public_tap", "pricing_policy.public_tap.non_gpu_costs.infra_overhead_pct_of_gpu", 0, "PUB-3"),
    OptionalKey("public_tap", "prepaid_policy.credits.breakage_pct", 0, "PUB-10"),
    *_growth_limits("public_tap"),
    # operator/private_tap.yaml [IN-9]
    OptionalKey("private_tap", "meta.seed", UNSET, "RNG-1", "next seed in the precedence"),
    OptionalKey("private_tap", "meta.description", UNSET, "IN-9", "text only"),
    *_growth_limits("private_tap"),
    OptionalKey("private_tap", "prepaid_policy.private_tap.base_fee_eur_per_month", 0, "PRV-3"),
    OptionalKey("private_tap", "prepaid_policy.private_tap.base_fee_by_gpu_class", {}, "PRV-3", "the flat base fee"),
    OptionalKey(
        "private_tap", "client_gpu_mix", UNSET, "PRV-6", "equal split over the curated GPUs, in plan/params.py"
    ),
    # facts [IN-12]
    OptionalKey("market_env", "finance", UNSET, "IN-12", _NO_FX),
    OptionalKey("market_env", "finance.eur_usd_fx_rate", UNSET, "IN-12", _NO_FX),
    OptionalKey("market_env", "finance.eur_usd_fx_rate.value", UNSET, "IN-12", _NO_FX),
    *_context_fields("finance.eur_usd_fx_rate"),
    *_context_fields("finance.*"),
    *_context_fields("*.*"),
    OptionalKey("gpu_baselines", "notes", UNSET, "IN-12", "text only"),
    OptionalKey("tps_sources", "*.notes", UNSET, "IN-12", "text only"),
    # CSV columns (resolved per row where the rows are normalised)
    OptionalKey("curated_gpu", "price_per_gpu_hr", UNSET, "IN-10", "price_usd_hr / num_gpus"),
    OptionalKey("curated_gpu", "price_usd_hr", UNSET, "IN-10", "used only without price_per_gpu_hr"),
    OptionalKey("curated_gpu", "num_gpus", UNSET, "IN-10", "used only without price_per_gpu_hr"),
    OptionalKey("curated_gpu", "availability", 1.0, "IN-10"),
    OptionalKey("curated_gpu", "reputation", 1.0, "IN-10"),
    OptionalKey("curated_public_tap_models", "variant", UNSET, "IN-11", "identity = model"),
    OptionalKey("curated_public_tap_models", "vram_gb_required", UNSET, "IN-11", "weights_vram_4bit_gb_est"),
    OptionalKey("curated_public_tap_models", "weights_vram_4bit_gb_est", UNSET, "IN-11"),
    OptionalKey("curated_public_tap_models", "params_b", UNSET, "IN-11", "no heuristic throughput"),
    OptionalKey("curated_public_tap_models", "hf_id", UNSET, "IN-11", "no measured throughput"),
    OptionalKey("curated_public_tap_models", "traffic_share", 1.0, "PUB-9", "equal shares (column absent)"),
    OptionalKey("insurances", "example_premium_eur_per_month", UNSET, "IN-12", "cannot be selected"),
    OptionalKey("tps_model_gpu", "throughput_tokens_per_sec", UNSET, "IN-12", "needed on aggregate rows"),
    OptionalKey("tps_model_gpu", "source_tag", UNSET, "IN-12"),
    *(
        OptionalKey("variables", column, UNSET, "IN-13", "by treatment and distribution")
        for column in ("min", "max", "step", "distribution", "dist_params", "notes")
    ),
    OptionalKey("variables", "default", UNSET, "IN-19", "the operator YAML value, in inputs/variable_defaults.py"),
    # facts/market_api_prices.csv [OUT-18]: a row needs the blended price or both input and output prices
    OptionalKey("market_api_prices", "input_usd_per_1m", UNSET, "V12-9", "blended_usd_per_1m is used"),
    OptionalKey("market_api_prices", "output_usd_per_1m", UNSET, "V12-9", "blended_usd_per_1m is used"),
    OptionalKey("market_api_prices", "blended_usd_per_1m", UNSET, "V12-9", "(3 × input + output) / 4"),
    OptionalKey("market_api_prices", "blend_basis", UNSET, "OUT-18", "text only"),
)


def entries_of(file: str) -> list[OptionalKey]:
    """The table's entries of one input file, parents before children (table order)."""
    return [entry for entry in OPTIONAL_KEYS if entry.file == file]


def column_default(dataset: str, column: str, value: Any) -> Any:
    """A CSV cell's value, or its column's default when the cell is empty (None when unset)."""
    if value is not None:
        return value
    for entry in OPTIONAL_KEYS:
        if entry.file == dataset and entry.key == column:
            return None if entry.default is UNSET else copy.deepcopy(entry.default)
    raise KeyError(f"{dataset}.{column} is not an optional column of the resolved-input table")


@dataclass
class ResolvedInputs:
    """The YAML documents with every optional key present: its value, its default, or None for *unset*.

    `states` says, for every concrete optional key path (list items by index, `a.b[0].c`), whether
    the input set it, its default was used, or it is unset; `entries` gives each path's table entry
    and `values` its resolved value.
    """

    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    states: dict[tuple[str, str], State] = field(default_factory=dict)
    entries: dict[tuple[str, str], OptionalKey] = field(default_factory=dict)
    values: dict[tuple[str, str], Any] = field(default_factory=dict)

    def doc(self, file: str) -> dict[str, Any] | None:
        """The resolved document of a YAML file, or None when the file is absent."""
        return self.docs.get(file)

    def state(self, file: str, key: str) -> State:
        """set / default / unset of one concrete optional key path."""
        return self.states[(file, key)]


def _parents(node: Any, parts: list[str], prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """(concrete path, mapping) of every mapping a key pattern's parent path reaches."""
    if not parts:
        return [(prefix, node)] if isinstance(node, dict) else []
    head, rest = parts[0], parts[1:]
    join = (lambda p: f"{prefix}.{p}") if prefix else (lambda p: p)
    if head == "[]":
        items = node if isinstance(node, list) else []
        return [found for i, item in enumerate(items) for found in _parents(item, rest, f"{prefix}[{i}]")]
    if not isinstance(node, dict):
        return []
    keys = list(node) if head == "*" else [head] if head in node else []
    return [found for k in keys for found in _parents(node[k], rest, join(str(k)))]


def resolve_document(file: str, data: Any, record: ResolvedInputs) -> None:
    """Resolve one parsed YAML document into `record` (a deep copy; the parsed data is left as read).

    A key whose parent is absent or not a mapping (a schema error, already reported) is skipped.
    """
    if not isinstance(data, dict):
        return
    out = copy.deepcopy(data)
    for entry in entries_of(file):
        *parent, leaf = entry.key.split(".")
        for path, mapping in _parents(out, parent, ""):
            for name in list(mapping) if leaf == "*" else [leaf]:
                concrete = f"{path}.{name}" if path else name
                record.entries[(file, concrete)] = entry
                if mapping.get(name) is not None:  # the resolver itself is where "absent" is read
                    record.states[(file, concrete)] = "set"
                elif entry.default is UNSET:
                    mapping[name] = None
                    record.states[(file, concrete)] = "unset"
                else:
                    mapping[name] = copy.deepcopy(entry.default)
                    record.states[(file, concrete)] = "default"
                record.values[(file, concrete)] = mapping[name]
    record.docs[file] = out


def resolve_inputs(docs: dict[str, Any]) -> ResolvedInputs:
    """The resolved-input record of the parsed YAML documents (name → data), [V12-5]."""
    record = ResolvedInputs()
    for file, data in docs.items():
        resolve_document(file, data, record)
    return record
