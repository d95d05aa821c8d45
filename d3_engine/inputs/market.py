"""Market API list prices ([OUT-18], [V12-9]): the rows of facts/market_api_prices.csv a run may compare with.

Each row names a curated model by its identity (else ERROR `unknown_reference`), carries its source URL
and retrieval date (schema: ERROR `missing_column` when empty) and a blended USD price per 1M tokens:
`blended_usd_per_1M`, or, when the page lists input and output prices, (3 × input + output)/4 in exact
decimal (ERROR `missing_column` when neither is there). `market_prices` returns the median of the blended
prices per model ([GEN-5] p50, exact decimal); the price check divides it by the EUR/USD rate.
"""

from __future__ import annotations

from decimal import Decimal

from d3_engine.core.formats import percentile_exact
from d3_engine.inputs.load import Bundle
from d3_engine.inputs.offers import CatalogueModel
from d3_engine.inputs.resolved import column_default
from d3_engine.inputs.variable_defaults import operator_decimal

MARKET_FILE = "facts/market_api_prices.csv"
DATASET = "market_api_prices"  # its name in the resolved-input table (optional price columns)


def blended(row_values: dict[str, object]) -> Decimal | None:
    """The row's blended USD per 1M tokens: the listed one, else (3 × input + output)/4 ([V12-9])."""
    cell = {
        column: operator_decimal(column_default(DATASET, column, row_values.get(column)))
        for column in ("blended_usd_per_1m", "input_usd_per_1m", "output_usd_per_1m")
    }
    listed, low, high = cell["blended_usd_per_1m"], cell["input_usd_per_1m"], cell["output_usd_per_1m"]
    if listed is not None:
        return listed
    if low is None or high is None:
        return None
    return (3 * low + high) / 4


def check_market_prices(bundle: Bundle, models: list[CatalogueModel]) -> dict[str, tuple[Decimal, int, int]]:
    """model → (median blended USD per 1M, number of rows, line of its first row); every problem is a finding."""
    table = bundle.tables.get(DATASET)
    if table is None:
        return {}
    identities = {m.identity for m in models}
    prices: dict[str, list[Decimal]] = {}
    first_line: dict[str, int] = {}
    for row in table.rows:
        model = row.values.get("model")
        if not isinstance(model, str):
            continue  # the schema reports the empty cell
        if identities and model not in identities:
            bundle.findings.error(
                "unknown_reference",
                table.rel,
                f"line {row.line}",
                f"model '{model}' is not a model identity of operator/curated_public_tap_models.csv",
                "write the model as model + ' ' + variant of the catalogue (e.g. 'GPT-OSS 20B') or drop the row",
            )
            continue
        price = blended(row.values)
        if price is None:
            bundle.findings.error(
                "missing_column",
                table.rel,
                f"line {row.line}",
                "column blended_usd_per_1M: a value is required unless both input_usd_per_1M and output_usd_per_1M "
                "are given",
                "copy the blended price from the page, or both the input and the output price",
            )
            continue
        prices.setdefault(model, []).append(price)
        first_line.setdefault(model, row.line)
    return {
        model: (percentile_exact(values, 50) or Decimal(0), len(values), first_line[model])
        for model, values in prices.items()
    }


__all__ = ["MARKET_FILE", "blended", "check_market_prices"]
