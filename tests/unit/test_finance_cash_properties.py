"""Property tests of the funding recurrence [FIN-7a] against an independent exact reference (hypothesis).

`finance_cash.recurrence` runs months in order over all paths at once on int64 micro-euros. The reference below
runs one path at a time in `fractions.Fraction`, straight from the DOMAIN text, so on random plans:
- overdraft interest is round2 of the PREVIOUS month's overdraft × rate/1200, half away from zero;
- cash_closing = cash_opening_1 + Σ net cash flows, and each flow = cfads − capex_financed − interest − principal;
- tax follows the year-to-date rule with the loss pool of [FIN-4] and is paid `lag` months later;
- funded capex stays outside CFADS: moving money between capex_financed and nothing changes month-1 CFADS not at
  all and month-1 net cash flow by exactly that money.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from d3_engine.models.python.finance_cash import MICRO, TaxRule, recurrence, scaled

MONEY = st.integers(min_value=-5_000 * MICRO, max_value=5_000 * MICRO)


def half_up(x: Fraction) -> int:
    """Round half away from zero to an integer."""
    magnitude = (abs(x) * 2 + 1) // 2
    return int(magnitude if x >= 0 else -magnitude)


@st.composite
def plans(draw: Any) -> dict[str, Any]:
    paths = draw(st.integers(1, 5))
    months = draw(st.integers(1, 26))
    start = draw(st.integers(1, 12))
    fiscal = np.array([[2026 + (start - 1 + t) // 12 for t in range(months)]] * paths, dtype=np.int64)

    def grid(strategy: Any) -> np.ndarray:
        return np.array(
            draw(st.lists(strategy, min_size=paths * months, max_size=paths * months)), dtype=np.int64
        ).reshape(paths, months)

    capex = np.zeros((paths, months), dtype=np.int64)
    capex[:, 0] = draw(st.lists(st.integers(0, 3_000 * MICRO), min_size=paths, max_size=paths))
    return {
        "inputs": {
            "ebit_eur": grid(MONEY),
            "loan_interest_eur": grid(st.integers(0, 200 * MICRO)),
            "principal_eur": grid(st.integers(0, 1_000 * MICRO)),
            "cfads_before_tax_eur": grid(MONEY),
            "capex_financed_eur": capex,
            "fiscal_year": fiscal,
            "param_set_id": np.zeros((paths, months), dtype=np.int64),
        },
        "opening": draw(st.integers(0, 20_000 * MICRO)),
        "rate": Decimal(draw(st.integers(0, 2_000))) / 100,
        "tax_pct": Decimal(draw(st.integers(0, 400))) / 10,
        "lag": draw(st.integers(0, 3)),
    }


def run(plan: dict[str, Any]) -> dict[str, np.ndarray]:
    rate, k = scaled([plan["rate"]])
    params = {
        "ids": np.array([0], dtype=np.int64),
        "opening": np.array([plan["opening"]], dtype=np.int64),
        "rate": rate,
        "rate_den": 1200 * 10**k * (MICRO // 100),
        "flat_pct": [plan["tax_pct"]],
        "lag": np.array([plan["lag"]], dtype=np.int64),
    }
    return recurrence(plan["inputs"], params, TaxRule([], [plan["tax_pct"]]))


def reference(plan: dict[str, Any], p: int) -> dict[str, list[int]]:
    """One path, month by month, in exact fractions, as DOMAIN [FIN-4] and [FIN-7a] state it."""
    x = {k: v[p] for k, v in plan["inputs"].items()}
    rate, pct, lag = Fraction(plan["rate"]), Fraction(plan["tax_pct"]), plan["lag"]
    cash, ytd, tax_ytd, pool, start_pool, payable = plan["opening"], 0, 0, 0, 0, 0
    keys = ("overdraft_interest_eur", "tax_eur", "tax_paid_eur", "cfads_eur", "net_cash_flow_eur", "cash_closing_eur")
    out: dict[str, list[int]] = {k: [] for k in (*keys, "tax_payable_eur")}
    for t in range(len(x["ebit_eur"])):
        new_year = t == 0 or x["fiscal_year"][t] != x["fiscal_year"][t - 1]
        if new_year:
            start_pool, ytd, tax_ytd = pool, 0, 0
        cents = half_up(Fraction(max(0, -cash), 10_000) * rate / 1200)  # micro-euros → cents
        od = cents * 10_000
        ebt = int(x["ebit_eur"][t]) - int(x["loan_interest_eur"][t]) - od
        ytd += ebt
        accrued = half_up(Fraction(max(0, ytd - start_pool)) * pct / 100)
        tax, tax_ytd, pool = accrued - tax_ytd, accrued, max(0, start_pool - ytd)
        out["tax_eur"].append(tax)
        paid = out["tax_eur"][t - lag] if t - lag >= 0 else 0
        payable += tax - paid
        cfads = int(x["cfads_before_tax_eur"][t]) - paid
        flow = (
            cfads - int(x["capex_financed_eur"][t]) - int(x["loan_interest_eur"][t]) - od - int(x["principal_eur"][t])
        )
        cash += flow
        values = {"overdraft_interest_eur": od, "tax_paid_eur": paid, "cfads_eur": cfads, "net_cash_flow_eur": flow}
        values |= {"cash_closing_eur": cash, "tax_payable_eur": payable}
        for key, value in values.items():
            out[key].append(value)
    return out


@settings(max_examples=60, deadline=None)
@given(plans())
def test_recurrence_equals_the_exact_reference_on_every_path(plan: dict[str, Any]) -> None:
    got = run(plan)
    for p in range(got["cash_closing_eur"].shape[0]):
        expected = reference(plan, p)
        for key, values in expected.items():
            assert got[key][p].tolist() == values, (key, p)
        flows = np.cumsum(got["net_cash_flow_eur"][p])
        assert (got["cash_closing_eur"][p] == plan["opening"] + flows).all()
        opening = np.concatenate([[plan["opening"]], got["cash_closing_eur"][p][:-1]])
        assert (got["cash_opening_eur"][p] == opening).all()


@settings(max_examples=30, deadline=None)
@given(plans(), st.integers(1, 5_000 * MICRO))
def test_funded_capex_stays_outside_cfads(plan: dict[str, Any], more: int) -> None:
    before = run(plan)
    plan["inputs"]["capex_financed_eur"] = plan["inputs"]["capex_financed_eur"].copy()
    plan["inputs"]["capex_financed_eur"][:, 0] += more
    after = run(plan)
    assert (after["cfads_eur"][:, 0] == before["cfads_eur"][:, 0]).all()
    assert (before["net_cash_flow_eur"][:, 0] - after["net_cash_flow_eur"][:, 0] == more).all()


def test_overdraft_interest_uses_last_months_balance_not_this_months() -> None:
    """Cash −1 000 after month 1, back to +500 after month 2: month 2 pays 1 % of 1 000 = 10.00, month 3 nothing."""
    m = MICRO
    plan = {
        "inputs": {
            "ebit_eur": np.zeros((1, 3), dtype=np.int64),
            "loan_interest_eur": np.zeros((1, 3), dtype=np.int64),
            "principal_eur": np.zeros((1, 3), dtype=np.int64),
            "cfads_before_tax_eur": np.array([[-1_000 * m, 1_510 * m, 0]], dtype=np.int64),
            "capex_financed_eur": np.zeros((1, 3), dtype=np.int64),
            "fiscal_year": np.full((1, 3), 2026, dtype=np.int64),
            "param_set_id": np.zeros((1, 3), dtype=np.int64),
        },
        "opening": 0,
        "rate": Decimal("12"),
        "tax_pct": Decimal("0"),
        "lag": 0,
    }
    got = run(plan)
    assert got["overdraft_interest_eur"][0].tolist() == [0, 10 * m, 0]
    assert got["cash_closing_eur"][0].tolist() == [-1_000 * m, 500 * m, 500 * m]


def _tax_reference(brackets: list[tuple[Decimal | None, Decimal]], taxable_micro: int) -> int:
    """round6(T(taxable)) in exact fractions, half away from zero, in micro-euros [FIN-4] [GEN-4]."""
    total, lower = Fraction(0), Fraction(0)
    for up, pct in brackets:
        top = Fraction(taxable_micro) if up is None else min(Fraction(taxable_micro), Fraction(up) * MICRO)
        total += max(top - lower, Fraction(0)) * Fraction(pct) / 100
        lower = Fraction(up) * MICRO if up is not None else lower
    magnitude = (2 * abs(total) + 1) // 2
    return int(magnitude if total >= 0 else -magnitude)


@pytest.mark.parametrize(
    ("brackets", "taxable"),
    [
        # A DOUBLE rate with 17 decimals: den = 100·10^17 leaves int64 even when every taxable income is 0.
        ([(Decimal("100000"), Decimal(repr(0.1 + 0.2))), (None, Decimal("25"))], [0, 0, 0]),
        ([(Decimal("100000"), Decimal(repr(1e-18))), (None, Decimal("0.5"))], [0, 5, 7, 10**15]),
        # 5 % of 922 337 203 685.477580 EUR: the product sits just under 2^62, where 2·|x| + den left int64.
        ([(None, Decimal("5"))], [922337203685477580, 10**6]),
        ([(Decimal("100000"), Decimal("15")), (None, Decimal("25"))], [0, 10**17, 999999999999999999]),
    ],
)
def test_bracket_tax_is_exact_where_int64_would_overflow(
    brackets: list[tuple[Decimal | None, Decimal]], taxable: list[int]
) -> None:
    """The bracket tax takes int64 steps only when no step can leave int64 (issue 13), else exact integers."""
    rule = TaxRule(brackets, [Decimal("25")])
    got = rule.tax_micro(np.array(taxable, dtype=np.int64), np.zeros(len(taxable), dtype=np.int64))
    assert got.tolist() == [_tax_reference(brackets, t) for t in taxable]


def test_flat_tax_is_exact_just_under_the_int64_bound() -> None:
    """5 % of 922 337 203 685.477580 EUR: before issue 13's guard, round_div overflowed int64 here and the tax came
    out negative."""
    rule = TaxRule([], [Decimal("5")])
    taxable = np.array([922337203685477580, 10**6], dtype=np.int64)
    got = rule.tax_micro(taxable, np.zeros(2, dtype=np.int64))
    assert got.tolist() == [_tax_reference([(None, Decimal("5"))], int(t)) for t in taxable]
    assert got[0] == 46116860184273879
