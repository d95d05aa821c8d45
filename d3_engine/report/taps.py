"""Report sections of the two taps: Public Tap price derivation and terms, Private Tap economics ([OUT-10]).

Parameter-level figures are those of the representative path's parameter set ([FIN-12]), exactly
as in public_tap_prices_per_model.csv and private_tap_economics.csv. The price derivation shows each
step of [PUB-5]: cost per 1k tokens → raw price at the target margin → rounded up to the increment
→ floor/cap → sell price and margin, and the p90 stress margin of [PUB-7]. The `rounded` step is the
same expression as `public_price_v1.sql`, evaluated again here only to show it.
"""

from __future__ import annotations

from d3_engine.report.charts import grouped_bars
from d3_engine.report.context import RunInfo
from d3_engine.report.format import eur, eur_rate, pct
from d3_engine.report.tables import Chart, Column, Paragraph, Quote, ReportTable, Row, Section, table_from_rows

SERVING_COLUMNS = [
    Column("model", "Model"),
    Column("gpu", "GPU (g*)"),
    Column("provider", "Provider"),
    Column("tps", "Tokens/s per GPU", "hours"),
    Column("tps_source", "Throughput source"),
    Column("eur_hr", "EUR per GPU-hour", "eur_rate"),
    Column("gpu_cost_eur_per_1M", "GPU cost per 1M", "eur_rate"),
    Column("cost_eur_per_1M", "Full cost per 1M", "eur_rate"),
]
DERIVATION_COLUMNS = [
    Column("model", "Model"),
    Column("cost_eur_per_1k", "Cost per 1k", "eur_rate"),
    Column("target_margin_pct", "Target margin", "pct"),
    Column("raw_sell_eur_per_1k", "Raw price per 1k", "eur_rate"),
    Column("rounded_sell_eur_per_1k", "Rounded up", "eur_rate"),
    Column("floor_eur_per_1k", "Floor", "eur_rate"),
    Column("cap_eur_per_1k", "Cap", "eur_rate"),
    Column("price_rule", "Rule"),
    Column("sell_eur_per_1k", "Sell per 1k", "eur_rate"),
    Column("sell_eur_per_1M", "Sell per 1M", "eur_rate"),
    Column("margin_pct", "Margin", "pct"),
    Column("margin_p90_stress_pct", "p90 stress margin", "pct"),
    Column("admitted", "Admitted", "bool"),
]


def public_section(info: RunInfo) -> Section:
    """Public Tap price derivation per model, price-vs-cost chart, terms snippet and credit packs."""
    section = Section("public", "Public Tap: price derivation and terms")
    if not info.public:
        return section.missing("Public Tap (the public pipeline did not run)")
    policy = info.db.rows(f"SELECT * FROM params_public_tap WHERE param_set_id = {info.rep_set}")[0]
    section.add(Paragraph(_method(policy, info)))
    rows = info.db.rows(
        f"""SELECT p.model, p.gpu, p.provider, p.tps, p.tps_source, p.eur_hr,
                   p.gpu_cost_eur_per_1m AS "gpu_cost_eur_per_1M", p.cost_eur_per_1m AS "cost_eur_per_1M",
                   p.cost_eur_per_1k, p.target_margin_pct, p.raw_sell_eur_per_1k,
                   round(ceil(p.raw_sell_eur_per_1k / t.round_increment_eur_per_1k - 1e-9)
                         * t.round_increment_eur_per_1k, 9) AS rounded_sell_eur_per_1k,
                   t.min_floor_eur_per_1k AS floor_eur_per_1k, t.max_cap_eur_per_1k AS cap_eur_per_1k,
                   p.price_rule, p.sell_eur_per_1k, p.sell_eur_per_1m AS "sell_eur_per_1M", p.margin_pct,
                   s.cost_stress_eur_per_1m, s.margin_p90_stress_pct, a.admitted
            FROM public_price AS p
            JOIN public_stress AS s USING (param_set_id, model)
            JOIN public_admission AS a USING (param_set_id, model)
            JOIN params_public_tap AS t USING (param_set_id)
            WHERE p.param_set_id = {info.rep_set}
            ORDER BY encode(p.model)"""
    )
    section.add(
        table_from_rows("public_serving", "Serving choice per model (cheapest GPU per token)", SERVING_COLUMNS, rows)
    )
    section.add(table_from_rows("public_price_derivation", "Price derivation per model", DERIVATION_COLUMNS, rows))
    section.add(_price_chart(rows))
    section.add(*_terms(info, policy))
    return section


def _method(policy: Row, info: RunInfo) -> str:
    floor, cap = policy["min_floor_eur_per_1k"], policy["max_cap_eur_per_1k"]
    limits = []
    if floor is not None:
        limits.append(f"raised to the floor of {eur_rate(floor)}")
    if cap is not None:
        limits.append(f"held at the cap of {eur_rate(cap)}")
    return (
        "Each model is served from the GPU with the lowest cost per token. That cost is the GPU rent per hour "
        f"divided by the tokens one GPU serves in an hour at {pct(policy['target_utilization_pct'])} utilisation, "
        f"plus {pct(policy['infra_overhead_pct_of_gpu'])} infrastructure overhead on the GPU cost and "
        f"{eur_rate(policy['base_eur_per_1M'])} per million tokens of other costs. The raw price is that "
        f"cost divided by (1 − {pct(policy['target_margin_pct'])}), rounded up to the next "
        f"{eur_rate(policy['round_increment_eur_per_1k'])} per 1 000 tokens, then "
        f"{' or '.join(limits) or 'used as is'}. A model is admitted only with a positive margin. The p90 "
        f"stress margin keeps the price and raises provider prices by "
        f"{pct(info.settings['provider_price_drift_pct'])}."
    )


def _price_chart(rows: list[Row]) -> Chart:
    models = [str(r["model"]) for r in rows]
    groups: list[tuple[str, list[float | None]]] = [
        ("full cost per 1M tokens", [float(r["cost_eur_per_1M"]) for r in rows]),
        ("p90 stressed cost per 1M", [float(r["cost_stress_eur_per_1m"]) for r in rows]),
        ("sell price per 1M tokens", [float(r["sell_eur_per_1M"]) for r in rows]),
    ]
    png = grouped_bars("Public price vs cost per model", models, groups, "EUR per 1M tokens", horizontal=True)
    return Chart("public_price_vs_cost", "Public price vs cost per model", png)


def _terms(info: RunInfo, policy: Row) -> list[Quote | ReportTable | Paragraph]:
    """The customer-facing terms of [PUB-10] and the credit packs of the representative path."""
    packs = []
    if info.db.has("public_credit_packs"):
        packs = info.db.rows(
            f"""SELECT pack_eur, tokens, value_eur, error_pct, blended_sell_eur_per_1k
                FROM public_credit_packs WHERE path_id = {info.rep_path_id} ORDER BY pack_eur"""
        )
    refund = " and non-refundable" if policy["non_refundable"] else ""
    lines = [
        f"Credits are prepaid{refund}.",
        f"Credits expire {int(policy['expiry_months'])} months after purchase.",
        "Usage is deducted per token at each model's price; when your balance reaches zero the service "
        "stops until you top up, so the balance never goes negative.",
        f"Top-ups from {eur(policy['min_topup_eur'])} to {eur(policy['max_topup_eur'])}.",
    ]
    lines += [f"Pack {eur(p['pack_eur'])}: about {p['tokens']:,} tokens." for p in packs]
    out: list[Quote | ReportTable | Paragraph] = [Quote("Terms (snippet for the price page)", lines)]
    if not packs:
        out.append(Paragraph("Credit packs: no tokens were served on the representative path, so no pack rows."))
        return out
    cols = [
        Column("pack_eur", "Pack", "eur"),
        Column("tokens", "Tokens", "int"),
        Column("value_eur", "Value at blended price", "eur"),
        Column("error_pct", "Rounding error", "pct"),
        Column("blended_sell_eur_per_1k", "Blended price per 1k", "eur_rate"),
    ]
    note = "Tokens per pack at the horizon's blended price of the representative path (rounded down)."
    out.append(table_from_rows("public_credit_packs", "Credit packs", cols, packs, note))
    return out


ECONOMICS_COLUMNS = [
    Column("gpu", "GPU class"),
    Column("providers", "Providers", "int"),
    Column("provider_eur_hr_med", "Median provider EUR/h", "eur_rate"),
    Column("sell_eur_hr", "Sell EUR/h", "eur_rate"),
    Column("margin_eur_hr", "Margin EUR/h", "eur_rate"),
    Column("margin_pct", "Margin", "pct"),
    Column("recommended_provider", "Recommended vendor"),
    Column("recommended_eur_hr", "Vendor EUR/h", "eur_rate"),
    Column("realised_margin_pct", "Realised margin", "pct"),
    Column("base_fee_eur_per_month", "Base fee per month", "eur_rate"),
    Column("client_mix_share", "Client mix share", "num"),
]
VENDOR_COLUMNS = [
    Column("gpu", "GPU class"),
    Column("provider", "Provider"),
    Column("usd_hr", "USD/h", "num"),
    Column("eur_hr", "EUR/h", "eur_rate"),
    Column("availability", "Availability", "num"),
    Column("reputation", "Reputation", "num"),
    Column("score", "Score", "num"),
    Column("rank", "Rank", "int"),
    Column("recommended", "Recommended", "bool"),
]


def private_section(info: RunInfo) -> Section:
    """Private Tap economics per GPU class, vendor ranking, chart and terms."""
    section = Section("private", "Private Tap: economics and vendors")
    if not info.private:
        return section.missing("Private Tap (the private pipeline did not run)")
    policy = info.db.rows(f"SELECT * FROM params_private_tap WHERE param_set_id = {info.rep_set}")[0]
    econ = info.db.rows(f"SELECT * FROM private_economics WHERE param_set_id = {info.rep_set} ORDER BY encode(gpu)")
    vendors = info.db.rows(
        f"SELECT * FROM private_vendor_recommendation WHERE param_set_id = {info.rep_set} ORDER BY encode(gpu), rank"
    )
    section.add(
        Paragraph(
            "Private clients rent dedicated GPUs by the hour. The hourly price is the median provider price of the "
            f"GPU class plus a {pct(policy['default_markup_over_provider_cost_pct'])} markup; each active client "
            f"also pays a management fee of {eur(policy['management_fee_eur_per_month'])} per month plus the "
            "class's base fee. GPUs are bought from the recommended vendor: the best weighted score of price "
            f"(weight {policy['weight_cost']:.2f}), availability ({policy['weight_availability']:.2f}) and "
            f"reputation ({policy['weight_reputation']:.2f}); the realised margin is the margin against that vendor."
        )
    )
    section.add(table_from_rows("private_economics", "Economics per GPU class", ECONOMICS_COLUMNS, econ))
    section.add(table_from_rows("private_vendors", "Vendor ranking", VENDOR_COLUMNS, vendors))
    groups: list[tuple[str, list[float | None]]] = [
        ("median provider EUR/h", [float(r["provider_eur_hr_med"]) for r in econ]),
        ("recommended vendor EUR/h", [float(r["recommended_eur_hr"]) for r in econ]),
        ("sell EUR/h", [float(r["sell_eur_hr"]) for r in econ]),
    ]
    png = grouped_bars("Private GPU economics", [str(r["gpu"]) for r in econ], groups, "EUR per GPU-hour", False)
    section.add(Chart("private_gpu_economics", "Private GPU economics per class", png))
    refund = " and non-refundable" if policy["non_refundable"] else ""
    section.add(
        Quote(
            "Terms (Private Tap)",
            [
                f"GPU hours are prepaid{refund} and paid in the month of use.",
                f"Prepaid hours expire {int(policy['expiry_months'])} months after purchase.",
                f"Monthly management fee {eur(policy['management_fee_eur_per_month'])} per client, invoiced at "
                "the end of the month.",
            ],
        )
    )
    return section
