"""Forecast-error measures and band calibration of [OUT-17], in exact decimal arithmetic.

Every measure is an exact rational (`Fraction` of the exact decimals a and f) rounded once, half away
from zero, to its export precision ([OUT-3]: 6 decimals, 4 for `_pct`). The only irrational one,
RMSE, is the square root of the exact mean square evaluated at 34 significant digits and then
rounded once. The forecast f is the plan's p50, the actual a the user's value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

SQRT_DIGITS = 34
_PCT_PLACES, _PLACES = 4, 6


def round_fraction(q: Fraction, places: int) -> Decimal:
    """An exact rational rounded once, half away from zero, to `places` decimals (never `-0`)."""
    scaled = abs(q) * 10**places
    units = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    text = f"{'-' if q < 0 and units else ''}{units}E-{places}"
    return Decimal(text)


def sqrt_rounded(q: Fraction, places: int) -> Decimal:
    """√q at 34 significant digits ([OUT-17]), then rounded once half away from zero to `places`."""
    if q < 0:
        raise ValueError(f"square root of a negative value {q}")
    with localcontext(prec=2 * SQRT_DIGITS):
        exact_enough = Decimal(q.numerator) / Decimal(q.denominator)
    with localcontext(prec=SQRT_DIGITS):
        root = exact_enough.sqrt()
    return round_fraction(Fraction(root), places)


@dataclass(frozen=True)
class Summary:
    """One row of backtest_summary.csv; a None measure is null (WAPE when Σ|a| = 0)."""

    metric: str
    months: int
    mae: Decimal
    rmse: Decimal
    wape_pct: Decimal | None
    smape_pct: Decimal
    bias: Decimal
    coverage_pct: Decimal

    def row(self) -> list[object]:
        """The CSV row in header order."""
        return [
            self.metric,
            self.months,
            self.mae,
            self.rmse,
            self.wape_pct,
            self.smape_pct,
            self.bias,
            self.coverage_pct,
        ]


SUMMARY_HEADER = ["metric", "months", "mae", "rmse", "wape_pct", "smape_pct", "bias", "coverage_pct"]


def smape_term(a: Fraction, f: Fraction) -> Fraction:
    """2|a−f| / (|a|+|f|); 0 when a = f = 0 (the only case with a zero denominator)."""
    denominator = abs(a) + abs(f)
    return Fraction(0) if denominator == 0 else 2 * abs(a - f) / denominator


def summarise(metric: str, actual: Sequence[Decimal], forecast: Sequence[Decimal], in_band: Sequence[bool]) -> Summary:
    """The [OUT-17] measures of one metric over the months present.

    Args:
        actual: a per month (exact decimals).
        forecast: f = the plan's p50 per month, same order.
        in_band: p10 ≤ a ≤ p90 per month.

    Raises:
        ValueError: for no months or sequences of different lengths.
    """
    n = len(actual)
    if n == 0 or len(forecast) != n or len(in_band) != n:
        raise ValueError(f"{metric}: need the same number (≥ 1) of actuals, forecasts and band flags")
    a = [Fraction(x) for x in actual]
    f = [Fraction(x) for x in forecast]
    errors = [ai - fi for ai, fi in zip(a, f, strict=True)]
    absolute = sum((abs(e) for e in errors), Fraction(0))
    total_actual = sum((abs(x) for x in a), Fraction(0))
    return Summary(
        metric=metric,
        months=n,
        mae=round_fraction(absolute / n, _PLACES),
        rmse=sqrt_rounded(sum((e * e for e in errors), Fraction(0)) / n, _PLACES),
        wape_pct=None if total_actual == 0 else round_fraction(100 * absolute / total_actual, _PCT_PLACES),
        smape_pct=round_fraction(
            100 * sum((smape_term(x, y) for x, y in zip(a, f, strict=True)), Fraction(0)) / n, _PCT_PLACES
        ),
        bias=round_fraction(-sum(errors, Fraction(0)) / n, _PLACES),
        coverage_pct=round_fraction(Fraction(100 * sum(in_band), n), _PCT_PLACES),
    )


def pit(at_or_below: int, paths: int) -> Decimal | None:
    """Share of paths whose value is ≤ the actual, 4 decimals; null without paths."""
    return None if paths == 0 else round_fraction(Fraction(at_or_below, paths), 4)
