"""What-if sections of the report: a sweep read point by point and our public price against the market
([OUT-12], [OUT-14], [OUT-18]); the stresses sit on the verdict page (report/verdict.py, `stress_tests`).

All three read run.duckdb only: `whatif_kpis` (p10/p50/p90 per scenario and grid point) with `grid_axes`, the
market rows `input_market_api_prices` and the priced models `public_price` of the representative parameter set.
"""

from __future__ import annotations

from decimal import Decimal

from d3_engine.core.formats import float_to_decimal, percentile_exact
from d3_engine.inputs.market import blended
from d3_engine.report.charts import lines_chart
from d3_engine.report.context import RunInfo
from d3_engine.report.tables import BY_UNIT, Chart, Column, Paragraph, Row, Section, table_from_rows

VALUE_COLUMNS = [Column("p10", "p10", BY_UNIT), Column("p50", "p50", BY_UNIT), Column("p90", "p90", BY_UNIT)]


def _grid_columns(info: RunInfo) -> list[str]:
    """scope.variable_id of every grid axis, in axis order (the `grid_axes` model)."""
    if not info.db.has("grid_axes"):
        return []
    axes = info.db.rows("SELECT DISTINCT axis, column_name FROM grid_axes ORDER BY axis")
    return [str(r["column_name"]) for r in axes]


def sweep_section(info: RunInfo) -> Section:
    """Each grid point of a sweep on its own (never pooled), with funding gap p50/p90 against the grid variable."""
    section = Section("sweep", "The sweep, point by point")
    if not info.db.has("whatif_kpis"):
        return section.missing("The sweep")
    grid = _grid_columns(info)
    points = info.db.rows("SELECT DISTINCT grid_index FROM whatif_kpis ORDER BY grid_index")
    if len(points) < 2:
        section.add(Paragraph("The plan has one grid point: no variable is swept (treatment low_to_high)."))
        return section
    axes = ", ".join(
        f'(SELECT value_text FROM grid_axes AS a WHERE a.grid_index = w.grid_index AND a.axis = {i}) AS "{c}"'
        for i, c in enumerate(grid)
    )
    rows = info.db.rows(
        f"SELECT w.grid_index, {axes}, w.metric, w.unit, w.p10, w.p50, w.p90 FROM whatif_kpis AS w "
        "WHERE w.scenario = 0 ORDER BY w.grid_index, w.metric_order"
    )
    section.add(
        Paragraph(
            f"{len(points)} grid points over {', '.join(grid)}. Every grid point uses the same random numbers "
            "([RNG-9]), so a difference between two points is the effect of the swept value alone."
        )
    )
    columns = [Column("grid_index", "Grid point", "int"), *(Column(c, c) for c in grid)]
    columns += [Column("metric", "Metric"), Column("unit", "Unit"), *VALUE_COLUMNS]
    section.add(table_from_rows("grid_kpis", "What-if metrics per grid point", columns, rows))
    section.add(_sweep_chart(rows, grid))
    return section


def _sweep_chart(rows: list[Row], grid: list[str]) -> Chart:
    gap = [r for r in rows if r["metric"] == "funding_gap"]
    x = [int(r["grid_index"]) for r in gap]
    labels = [" / ".join(str(r[c]) for c in grid) for r in gap]
    lines = [(f"funding gap {p}", [None if r[p] is None else float(r[p]) for r in gap]) for p in ("p50", "p90")]
    png = lines_chart(f"Funding gap against {', '.join(grid)}", x, labels, lines, [], "EUR", money=True)
    return Chart("sweep_funding_gap", "Funding gap p50 and p90 per grid point", png)


def market_section(info: RunInfo) -> Section:
    """Our public price per 1M tokens against the median of the market list prices ([OUT-18])."""
    section = Section("market", "Our price vs the market")
    if not info.db.has("input_market_api_prices", "public_price", "representative_path", "run_settings"):
        return section.missing("Our price vs the market (no facts/market_api_prices.csv)")
    fx = float_to_decimal(float(info.db.rows("SELECT eur_usd_fx_rate FROM run_settings")[0]["eur_usd_fx_rate"]))
    prices = {
        str(r["model"]): r["sell_eur_per_1k"]
        for r in info.db.rows(
            "SELECT p.model, p.sell_eur_per_1k FROM public_price AS p JOIN representative_path AS r "
            "USING (param_set_id) ORDER BY p.model"
        )
    }
    market: dict[str, list[Decimal]] = {}
    for row in info.db.rows("SELECT * FROM input_market_api_prices ORDER BY source_line"):
        value = blended({k.lower(): v for k, v in row.items()})
        if value is not None:
            market.setdefault(str(row["model"]), []).append(value)
    rows = [_market_row(model, values, prices.get(model), fx) for model, values in sorted(market.items())]
    section.add(
        Paragraph(
            "Market = median of the blended list prices (3 parts input to 1 part output) in USD per 1M tokens, "
            f"converted at {fx} USD per EUR without buffer; a price above 3× or below 1/3 of it is warned about."
        )
    )
    columns = [
        Column("model", "Model"),
        Column("rows", "List prices", "int"),
        Column("market_eur", "Market, EUR per 1M", "eur_rate"),
        Column("ours_eur", "Our price, EUR per 1M", "eur_rate"),
        Column("ratio", "Ours / market", "ratio"),
    ]
    section.add(table_from_rows("market_prices", "Our public price vs the market", columns, rows))
    return section


def _market_row(model: str, values: list[Decimal], sell_per_1k: object, fx: Decimal) -> Row:
    market = (percentile_exact(values, 50) or Decimal(0)) / fx
    ours = None if sell_per_1k is None else float_to_decimal(float(sell_per_1k)) * 1000  # type: ignore[arg-type]
    ratio = None if ours is None or market == 0 else ours / market
    return {"model": model, "rows": len(values), "market_eur": market, "ours_eur": ours, "ratio": ratio}


__all__ = ["market_section", "sweep_section"]
