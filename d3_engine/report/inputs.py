"""Report sections on what went in: inputs and catalogue, and the appendix ([OUT-10], [IN-1]…[IN-12]).

Operator values are shown for the representative path's parameter set ([FIN-12]); variables list
their treatment and the value of that set, so a reader sees which numbers were drawn. The appendix
lists fact sources and dates, every input file's SHA-256, the engine models' fingerprints and the
versions of the engine and its locked dependencies ([RNG-7], [OUT-7]).
"""

from __future__ import annotations

from d3_engine import ENGINE_VERSION
from d3_engine.export.run_summary import dependency_versions
from d3_engine.report.context import RunInfo
from d3_engine.report.format import plural
from d3_engine.report.tables import BY_UNIT, Column, Paragraph, ReportTable, Section, table_from_rows

# (table, column, label, unit): operator keys a reader needs to follow the plan ([IN-7]–[IN-9]).
ASSUMPTIONS: list[tuple[str, str, str, str]] = [
    ("params_general", "equity_injection_eur", "Equity injection", "EUR"),
    ("params_general", "loan_amount_eur", "Loan amount", "EUR"),
    ("params_general", "term_months", "Loan term", "months"),
    ("params_general", "interest_rate_pct", "Loan interest rate (annual)", "percent"),
    ("params_general", "repayment_type", "Repayment type", "enum"),
    ("params_general", "grace_period_months", "Grace period", "months"),
    ("params_general", "bizdev_budget_monthly_eur", "Business development budget", "EUR_per_month"),
    ("params_general", "contingency_pct", "Contingency", "percent"),
    ("params_general", "cpi_annual_pct", "CPI indexation of fixed costs", "percent"),
    ("params_general", "vat_pct", "VAT rate", "percent"),
    ("params_general", "vat_period_months", "VAT period", "months"),
    ("params_general", "ar_days", "Receivable days (private fees)", "days"),
    ("params_general", "ap_days", "Payable days", "days"),
    ("params_general", "reserve_months_target", "Cash reserve target", "months"),
    ("params_public_tap", "target_margin_pct", "Public target margin", "percent"),
    ("params_public_tap", "budget_month0_eur", "Public acquisition budget, month 1", "EUR_per_month"),
    ("params_public_tap", "budget_growth_pct_mom", "Public budget growth per month", "percent"),
    ("params_public_tap", "cac_base_eur", "Public CAC", "EUR"),
    ("params_public_tap", "churn_pct_mom", "Public churn per month", "percent"),
    ("params_public_tap", "tokens_per_conversion_mean", "Tokens per active customer and month", "tokens"),
    ("params_public_tap", "target_utilization_pct", "GPU target utilisation", "percent"),
    ("params_public_tap", "peak_factor", "Peak factor", "ratio"),
    ("params_private_tap", "default_markup_over_provider_cost_pct", "Private markup over provider cost", "percent"),
    ("params_private_tap", "management_fee_eur_per_month", "Private management fee per client", "EUR_per_month"),
    ("params_private_tap", "budget_month0_eur", "Private acquisition budget, month 1", "EUR_per_month"),
    ("params_private_tap", "budget_growth_pct_mom", "Private budget growth per month", "percent"),
    ("params_private_tap", "cac_base_eur", "Private CAC", "EUR"),
    ("params_private_tap", "churn_pct_mom", "Private churn per month", "percent"),
    ("params_private_tap", "hours_per_client_month_mean", "GPU hours per client and month", "hours"),
]
SCOPE_OF = {"params_general": "general", "params_public_tap": "public_tap", "params_private_tap": "private_tap"}


def inputs_section(info: RunInfo) -> Section:
    """Inputs and catalogue: plan, key assumptions, costs, offers, models, variables."""
    section = Section("inputs", "Inputs and catalogue")
    section.add(Paragraph(_plan_sentence(info)))
    section.add(_assumptions(info), _fixed_costs(info), _offers(info))
    if info.db.has("input_models"):
        section.add(_models(info))
    section.add(_variables(info))
    return section


def _plan_sentence(info: RunInfo) -> str:
    bands = ", ".join(f"p{q}" for q in info.percentiles)
    return (
        f"The plan covers {info.horizon} months, {info.period(1)} to {info.period(info.horizon)}, for the "
        f"{' and '.join(info.pipelines) or 'no'} pipeline{'s' if len(info.pipelines) > 1 else ''}. It simulates "
        f"{plural(info.paths, 'possible future')} (paths): {plural(info.grid, 'grid point')} × "
        f"{plural(info.replicates, 'replicate')} × {plural(info.mc, 'Monte Carlo iteration')}. "
        f"Monthly figures are shown as percentiles across paths ({bands}) and for the representative path "
        f"(path {info.rep_path_id}), the path whose net income is closest to the median; every value below "
        "that is not per path belongs to that path's parameter set."
    )


def _assumptions(info: RunInfo) -> ReportTable:
    rows = []
    for table, column, label, unit in ASSUMPTIONS:
        if not info.db.has(table):
            continue
        value = info.db.one(f'SELECT "{column}" AS v FROM {table} WHERE param_set_id = {info.rep_set}')
        rows.append({"scope": SCOPE_OF[table], "assumption": label, "value": value and value["v"], "unit": unit})
    columns = [
        Column("scope", "Scope"),
        Column("assumption", "Assumption"),
        Column("value", "Value", BY_UNIT),
        Column("unit", "Unit"),
    ]
    return table_from_rows("assumptions", "Key assumptions (representative parameter set)", columns, rows)


def _fixed_costs(info: RunInfo) -> ReportTable:
    rows = info.db.rows(
        f"""SELECT f.item, f.amount_eur, i.vat_exempt, i.ap_exempt
            FROM params_fixed_costs AS f LEFT JOIN input_fixed_cost_items AS i USING (item)
            WHERE f.param_set_id = {info.rep_set} ORDER BY encode(f.item)"""
    )
    rows += [
        {"item": f"insurance: {r['insurer_id']}", "amount_eur": r["premium_eur_per_month"]}
        for r in info.db.rows("SELECT insurer_id, premium_eur_per_month FROM input_insurances_selected ORDER BY 1")
    ]
    columns = [
        Column("item", "Item"),
        Column("amount_eur", "Per month (plan year 1)", "eur"),
        Column("vat_exempt", "VAT exempt", "bool"),
        Column("ap_exempt", "Paid at once (no payable days)", "bool"),
    ]
    note = "Fixed costs are indexed by CPI every 12 plan months; insurance premiums get the premium buffer on top."
    return table_from_rows("fixed_costs", "Fixed costs and insurance", columns, rows, note)


def _offers(info: RunInfo) -> ReportTable:
    pub = f"SELECT gpu, provider, eur_hr FROM public_offer_eur WHERE param_set_id = {info.rep_set}"
    prv = f"SELECT gpu, provider, eur_hr FROM private_offers WHERE param_set_id = {info.rep_set}"
    empty = "SELECT NULL::VARCHAR AS gpu, NULL::VARCHAR AS provider, NULL::DOUBLE AS eur_hr WHERE false"
    rows = info.db.rows(
        f"""SELECT o.gpu, o.provider, o.vram_gb, o.usd_hr, p.eur_hr AS public_eur_hr, q.eur_hr AS private_eur_hr,
                   o.availability, o.reputation
            FROM input_offers AS o
            LEFT JOIN ({pub if info.public else empty}) AS p USING (gpu, provider)
            LEFT JOIN ({prv if info.private else empty}) AS q USING (gpu, provider)
            ORDER BY encode(o.gpu), encode(o.provider)"""
    )
    columns = [
        Column("gpu", "GPU"),
        Column("provider", "Provider"),
        Column("vram_gb", "VRAM GB", "num"),
        Column("usd_hr", "USD per GPU-hour", "num"),
        Column("public_eur_hr", "EUR/h (public)", "eur_rate"),
        Column("private_eur_hr", "EUR/h (private)", "eur_rate"),
        Column("availability", "Availability", "num"),
        Column("reputation", "Reputation", "num"),
    ]
    note = f"USD converted at {info.settings['eur_usd_fx_rate']} USD per EUR plus each tap's FX buffer."
    return table_from_rows("gpu_offers", "Curated GPU offers", columns, rows, note)


def _models(info: RunInfo) -> ReportTable:
    join = (
        f"LEFT JOIN (SELECT * FROM public_admission WHERE param_set_id = {info.rep_set}) AS a USING (model)"
        if info.db.has("public_admission")
        else "LEFT JOIN (SELECT NULL::VARCHAR AS model, NULL::BOOLEAN AS admitted, NULL::DOUBLE AS traffic_share) "
        "AS a USING (model)"
    )
    rows = info.db.rows(
        f"""SELECT m.model, m.vram_gb_required, m.params_b, m.hf_id, m.traffic_share AS traffic_share_input,
                   a.admitted, a.traffic_share
            FROM input_models AS m {join} ORDER BY encode(m.model)"""
    )
    columns = [
        Column("model", "Model"),
        Column("vram_gb_required", "VRAM need GB", "num"),
        Column("params_b", "Active params (B)", "num"),
        Column("hf_id", "Repository"),
        Column("traffic_share_input", "Traffic share (input)", "num"),
        Column("admitted", "Admitted", "bool"),
        Column("traffic_share", "Traffic share (served)", "num"),
    ]
    return table_from_rows("model_catalogue", "Public model catalogue", columns, rows)


def _variables(info: RunInfo) -> ReportTable:
    wanted = ("variable_id", "path", "treatment", "distribution", "dist_params", "min", "max", "step", "default")
    parts = []
    for order, scope in enumerate(("general", "public_tap", "private_tap")):
        table = f"input_variables_{scope}"
        if not info.db.has(table):
            continue
        present = set(info.db.columns(table))  # optional CSV columns may be absent ([IN-13])
        picked = ", ".join(f'"{c}"' if c in present else f'NULL::VARCHAR AS "{c}"' for c in wanted)
        parts.append(f"SELECT '{scope}' AS scope, {order} AS scope_id, {picked} FROM {table}")
    rows = []
    if parts:
        rows = info.db.rows(
            f"""SELECT v.*, p.value_text AS rep_value FROM ({" UNION ALL ".join(parts)}) AS v
                LEFT JOIN (SELECT * FROM params WHERE param_set_id = {info.rep_set}) AS p USING (scope, variable_id)
                ORDER BY v.scope_id, encode(v.variable_id)"""
        )
    columns = [
        Column("scope", "Scope"),
        Column("variable_id", "Variable"),
        Column("path", "Key path"),
        Column("treatment", "Treatment"),
        Column("distribution", "Distribution"),
        Column("dist_params", "Parameters"),
        Column("min", "Min", "num"),
        Column("max", "Max", "num"),
        Column("default", "Default"),
        Column("rep_value", "Value (rep set)"),
    ]
    note = "Variables of a pipeline that did not run are validated but not used (no value)."
    return table_from_rows("variables", "Variables", columns, rows, note)


def appendix_section(info: RunInfo) -> Section:
    """Appendix: fact sources and dates, input hashes, engine models, versions."""
    section = Section("appendix", "Appendix")
    db = info.db
    facts = db.rows(
        """SELECT regexp_extract(key_path, '^(.*)\\.[^.]+$', 1) AS fact,
                  max(value) FILTER (WHERE key_path LIKE '%.value') AS value,
                  max(value) FILTER (WHERE key_path LIKE '%.unit') AS unit,
                  max(value) FILTER (WHERE key_path LIKE '%.source') AS source,
                  max(value) FILTER (WHERE key_path LIKE '%.source_date') AS source_date
           FROM input_market_env GROUP BY 1 ORDER BY encode(fact)"""
    )
    fact_cols = [
        Column(n, n.replace("_", " ").capitalize()) for n in ("fact", "value", "unit", "source", "source_date")
    ]
    section.add(table_from_rows("fact_sources", "Market facts, sources and dates", fact_cols, facts))
    if db.has("input_tps_sources"):
        tags = db.rows(
            """SELECT regexp_extract(key_path, '^(.*)\\.[^.]+$', 1) AS source_tag,
                      max(value) FILTER (WHERE key_path LIKE '%.name') AS name,
                      max(value) FILTER (WHERE key_path LIKE '%.url') AS url
               FROM input_tps_sources GROUP BY 1 ORDER BY encode(source_tag)"""
        )
        tag_cols = [Column("source_tag", "Tag"), Column("name", "Throughput source"), Column("url", "Address")]
        section.add(table_from_rows("throughput_sources", "Throughput sources", tag_cols, tags))
    section.add(*_market_references(info))
    files = db.rows("SELECT file, bytes, sha256 FROM input_files ORDER BY encode(file)")
    file_cols = [Column("file", "Input file"), Column("bytes", "Bytes", "int"), Column("sha256", "SHA-256")]
    section.add(table_from_rows("input_files", "Input files", file_cols, files))
    models = db.rows("SELECT name, version, sha256 FROM engine_models ORDER BY encode(name)")
    model_cols = [Column("name", "Engine model"), Column("version", "Version", "int"), Column("sha256", "SHA-256")]
    section.add(
        table_from_rows("engine_models", "Engine models (fingerprints of the rendered SQL)", model_cols, models)
    )
    versions = [{"component": "d3-engine", "version": ENGINE_VERSION}]
    versions += [{"component": k, "version": v} for k, v in dependency_versions().items()]
    version_cols = [Column("component", "Component"), Column("version", "Version")]
    section.add(table_from_rows("versions", "Engine and dependency versions", version_cols, versions))
    section.add(
        Paragraph("Versions are those of the engine that rendered this report; run_summary.json records the run's.")
    )
    return section


def _market_references(info: RunInfo) -> list[ReportTable]:
    """facts/ads_channels.csv and facts/agency_fees.csv: shown in the report only ([IN-1], [IN-12])."""
    out: list[ReportTable] = []
    if info.db.has("input_ads_channels"):
        rows = info.db.rows(
            """SELECT channel_id, platform, cost_model, currency, typical_value, source_url, source_date
               FROM input_ads_channels ORDER BY encode(channel_id)"""
        )
        cols = [
            Column("channel_id", "Channel"),
            Column("platform", "Platform"),
            Column("cost_model", "Cost model"),
            Column("currency", "Currency"),
            Column("typical_value", "Typical value", "num"),
            Column("source_url", "Source"),
            Column("source_date", "Date"),
        ]
        out.append(table_from_rows("ads_channels", "Advertising channel references", cols, rows))
    if info.db.has("input_agency_fees"):
        rows = info.db.rows(
            """SELECT agency_id, agency_name, fee_model, currency, value, source_url, source_date
               FROM input_agency_fees ORDER BY encode(agency_id)"""
        )
        cols = [
            Column("agency_id", "Agency"),
            Column("agency_name", "Name"),
            Column("fee_model", "Fee model"),
            Column("currency", "Currency"),
            Column("value", "Fee", "num"),
            Column("source_url", "Source"),
            Column("source_date", "Date"),
        ]
        out.append(table_from_rows("agency_fees", "Agency fee references", cols, rows))
    return out
