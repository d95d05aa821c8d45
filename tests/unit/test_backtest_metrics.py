"""The error measures of `d3 backtest` against hand-computed values [OUT-17] [OUT-3].

Every expected figure below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from d3_engine.export.backtest.metrics import pit, round_fraction, smape_term, sqrt_rounded, summarise

D = Decimal


def test_round_fraction_rounds_once_half_away_from_zero() -> None:
    assert round_fraction(Fraction(5, 2), 0) == D("3")
    assert round_fraction(Fraction(-5, 2), 0) == D("-3")
    assert round_fraction(Fraction(1, 3), 6) == D("0.333333")
    assert round_fraction(Fraction(2, 3), 4) == D("0.6667")
    assert round_fraction(Fraction(1, 2_000_000), 6) == D("0.000001")  # exactly half a unit: away from zero
    assert round_fraction(Fraction(-1, 2_000_000), 6) == D("-0.000001")
    assert str(round_fraction(Fraction(-1, 10**9), 6)) == "0.000000"  # never a signed zero


def test_square_root_at_34_digits_then_rounded_once() -> None:
    assert sqrt_rounded(Fraction(2), 6) == D("1.414214")  # √2 = 1.41421356…
    assert sqrt_rounded(Fraction(200), 6) == D("14.142136")  # √200 = 14.1421356…
    assert sqrt_rounded(Fraction(9, 4), 6) == D("1.500000")
    assert sqrt_rounded(Fraction(0), 6) == D("0.000000")
    with pytest.raises(ValueError, match="negative"):
        sqrt_rounded(Fraction(-1), 6)


def test_three_months_by_hand() -> None:
    # a = 100, 0, 50; f = 90, 10, 50; a − f = 10, −10, 0
    s = summarise("revenue_total", [D(100), D(0), D(50)], [D(90), D(10), D(50)], [True, False, True])
    assert s.months == 3
    assert s.mae == D("6.666667")  # (10 + 10 + 0) / 3
    assert s.rmse == D("8.164966")  # √((100 + 100 + 0) / 3) = √66.67 = 8.1649658…
    assert s.wape_pct == D("13.3333")  # 100 · 20 / 150
    # sMAPE terms: 2·10/190 = 0.1052632, 2·10/(0 + 10) = 2, 0 → 100 · 2.1052632 / 3 = 70.17544
    assert s.smape_pct == D("70.1754")
    assert s.bias == D("0.000000")  # mean(f − a) = (−10 + 10 + 0) / 3
    assert s.coverage_pct == D("66.6667")  # 2 of 3 months in band
    assert s.row() == ["revenue_total", 3, s.mae, s.rmse, s.wape_pct, s.smape_pct, s.bias, s.coverage_pct]


def test_bias_is_forecast_minus_actual() -> None:
    # the plan said 120 and 80, it was 100 and 100: f − a = 20, −20 → bias 0; 130/110 → +20 (optimistic)
    assert summarise("x", [D(100), D(100)], [D(130), D(110)], [True, True]).bias == D("20.000000")
    assert summarise("x", [D(100), D(100)], [D(70), D(90)], [True, True]).bias == D("-20.000000")


def test_smape_term_is_zero_when_actual_and_forecast_are_zero() -> None:
    assert smape_term(Fraction(0), Fraction(0)) == 0
    assert smape_term(Fraction(0), Fraction(5)) == 2  # the largest possible term
    assert smape_term(Fraction(-3), Fraction(3)) == 2
    s = summarise("x", [D(0), D(10)], [D(0), D(10)], [True, True])
    assert s.smape_pct == D("0.0000") and s.mae == D("0.000000")


def test_wape_is_null_when_the_actuals_sum_to_zero_in_absolute_value() -> None:
    s = summarise("x", [D(0), D(0)], [D(5), D(-5)], [False, False])
    assert s.wape_pct is None
    assert s.smape_pct == D("200.0000")  # both terms are 2
    assert s.mae == D("5.000000") and s.rmse == D("5.000000") and s.bias == D("0.000000")
    assert s.coverage_pct == D("0.0000")


def test_wape_uses_absolute_actuals() -> None:
    # a = −100, 100 (Σ|a| = 200, Σa = 0); f = −90, 110 → Σ|a − f| = 20 → 10 %
    s = summarise("ebitda", [D(-100), D(100)], [D(-90), D(110)], [True, True])
    assert s.wape_pct == D("10.0000")


def test_exact_decimals_of_the_actuals_are_kept() -> None:
    # a − f = 0.0000005 exactly: a float would not give half a micro-unit; rounded half away → 0.000001
    s = summarise("x", [D("1.0000005")], [D("1")], [True])
    assert s.mae == D("0.000001") and s.bias == D("-0.000001") and s.rmse == D("0.000001")


def test_summary_needs_months() -> None:
    with pytest.raises(ValueError):
        summarise("x", [], [], [])
    with pytest.raises(ValueError):
        summarise("x", [D(1)], [D(1), D(2)], [True])


def test_pit_is_the_share_at_or_below_with_four_decimals() -> None:
    assert pit(1, 3) == D("0.3333")
    assert pit(2, 3) == D("0.6667")
    assert pit(0, 5) == D("0.0000") and pit(5, 5) == D("1.0000")
    assert pit(0, 0) is None
