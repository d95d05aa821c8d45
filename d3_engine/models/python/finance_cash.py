"""The funding recurrence [FIN-7a] as an engine model: table `finance_cash`.

Interest on the funding line depends on the previous month's closing cash, and the cash depends on the tax
paid, which depends on EBT, which depends on that interest. So per path the months are computed in ascending
order: overdraft interest → interest → EBT → tax year to date ([FIN-4]) → tax paid → cash flow → closing cash.
The loop runs over months; each step is one numpy operation over ALL paths at once (never a loop over paths).

Money is int64 micro-euros: every DECIMAL(18,6) amount of the upstream models is an exact integer there, sums
and differences stay exact, and the two products with rates are exact integer quotients rounded half away from
zero (cents for the overdraft interest, [FIN-7a]; micro-euros for the tax, [FIN-4]). A product that could leave
the int64 range is computed on Python integers instead (the same exact value). When cash never goes negative,
overdraft interest is 0 and every line equals the closed form of v1.1 (tests/sql/test_finance_cash.py).
The model's header (the contract checked against the built table) is `HEADER` below.
"""

from __future__ import annotations

import inspect
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from d3_engine.core.columns import Column, decimal_array, fetch_columns, register_arrays
from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.formats import float_to_decimal
from d3_engine.models.graph import Model
from d3_engine.models.header import parse_header

if TYPE_CHECKING:
    import duckdb

MODEL_NAME = "finance_cash"
MODEL_VERSION = 1
LAYER = "50_finance"
DEPS = ["finance_operating_cash", "finance_params"]
MICRO = 1_000_000
_INT64_SAFE = 2**62

HEADER = parse_header(
    """
-- model: finance_cash
-- version: 1
-- purpose: per path and month the funding recurrence: overdraft interest, EBT, tax, tax paid and cash [FIN-7a]
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path [GEN-2]
--   month BIGINT <month>  plan month t = 1..H
--   overdraft_interest_eur DECIMAL(18,6) <EUR>  round2(max(0, −cash_closing_{t−1}) × funding_line_rate/1200) [FIN-7a]
--   interest_eur DECIMAL(18,6) <EUR>  loan interest + overdraft interest (P&L line) [FIN-7a]
--   ebt_eur DECIMAL(18,6) <EUR>  ebit − interest [FIN-1]
--   ebt_ytd_eur DECIMAL(18,6) <EUR>  Σ ebt over the plan months ≤ t of the fiscal year [FIN-4]
--   loss_pool_start_eur DECIMAL(18,6) <EUR>  L_y, the loss pool at the start of the fiscal year [FIN-4]
--   taxable_income_eur DECIMAL(18,6) <EUR>  max(0, ytd − L_y) [FIN-4]
--   tax_ytd_eur DECIMAL(18,6) <EUR>  round6(T(taxable)), flat rate or brackets [FIN-4]
--   tax_eur DECIMAL(18,6) <EUR>  the month's accrual tax_ytd_t − tax_ytd_{t−1} (same year) [FIN-4]
--   tax_paid_eur DECIMAL(18,6) <EUR>  tax_{t−lag}, 0 while t − lag < 1 [FIN-4]
--   tax_payable_eur DECIMAL(18,6) <EUR>  Σ_{s≤t} (tax_s − tax_paid_s) [FIN-4]
--   loss_carryforward_eur DECIMAL(18,6) <EUR>  pool_t = max(0, L_y − ytd_t) [FIN-4]
--   cfads_eur DECIMAL(18,6) <EUR>  cash_from_operations − capex_operating [FIN-2a]
--   net_cash_flow_eur DECIMAL(18,6) <EUR>  cfads − capex_financed − interest − principal [FIN-7a]
--   cash_opening_eur DECIMAL(18,6) <EUR>  loan + equity in month 1, else cash_closing_{t−1} [FIN-7]
--   cash_closing_eur DECIMAL(18,6) <EUR>  cash_opening + net_cash_flow; negative = overdraft [FIN-7a]
--   retained_earnings_eur DECIMAL(18,6) <EUR>  Σ_{s≤t} (ebt − tax), the net income to date [FIN-8]
--   cfads_ltm_eur DECIMAL(18,6) <EUR>  Σ cfads over months max(1, t−11)..t [FIN-9]
--   debt_service_ltm_eur DECIMAL(18,6) <EUR>  Σ (interest + principal) over months max(1, t−11)..t [FIN-9]
""",
    "d3_engine/models/python/finance_cash.py",
)
COLUMNS = [(c.name, c.type, c.description) for c in HEADER.columns]

INPUT_SQL = """
    SELECT o.path_id, o.month, o.param_set_id, o.fiscal_year,
        {money}
    FROM finance_operating_cash AS o
    ORDER BY o.path_id, o.month
"""
INPUT_MONEY = ("ebit_eur", "loan_interest_eur", "principal_eur", "cfads_before_tax_eur", "capex_financed_eur")
LTM_MONTHS = 12  # the window of the LTM DSCR [FIN-9]


def _micro_sql(column: str) -> str:
    """The amount as DECIMAL(18,6): `fetch_columns` gives its micro-euros, exactly."""
    return f"CAST(o.{column} AS DECIMAL(18,6)) AS {column}"


def scaled(values: list[Decimal]) -> tuple[np.ndarray, int]:
    """Exact decimals as integers over one power of ten: (a, k) with value_i = a_i / 10^k, k as small as it can be."""
    k = max((max(0, -v.normalize().as_tuple().exponent) for v in values), default=0)  # type: ignore[operator]
    return np.array([int(v.scaleb(k)) for v in values], dtype=np.int64), k


def round_div(num: np.ndarray, den: int) -> np.ndarray:
    """num / den rounded half away from zero, exactly (den > 0); num may be int64 or Python ints. On int64, when
    2·|num| + den could leave int64 (a large amount, or a rate with many decimals: den = 100·10^k), the step
    runs on Python integers instead."""
    if num.dtype != object and 2 * int(np.max(np.abs(num), initial=0)) + 2 * den >= 2**63:
        num = num.astype(object)
    magnitude = (2 * np.abs(num) + den) // (2 * den)
    return np.where(num < 0, -magnitude, magnitude)


def product(x: np.ndarray, factor: np.ndarray | int) -> np.ndarray:
    """x × factor exactly: int64 when the bound allows it, else on Python integers (object array)."""
    bound = int(np.max(np.abs(x), initial=0)) * int(np.max(np.abs(factor), initial=0))
    if bound < _INT64_SAFE:
        return x * factor
    return x.astype(object) * (factor.astype(object) if isinstance(factor, np.ndarray) else factor)


def exact_sum(parts: list[np.ndarray]) -> np.ndarray:
    """The sum of `parts` exactly: int64 when the bound allows it, else on Python integers (object array)."""
    if all(p.dtype != object for p in parts):
        bound = sum(int(np.max(np.abs(p), initial=0)) for p in parts)
        if bound < _INT64_SAFE:
            exact = np.zeros(parts[0].shape, dtype=np.int64)
            for part in parts:
                exact += part
            return exact
    total: np.ndarray = parts[0].astype(object)
    for part in parts[1:]:
        total = total + part.astype(object)
    return total


def to_int64(x: np.ndarray) -> np.ndarray:
    """Back to int64 after an exact step; every DECIMAL(18,6) amount fits."""
    if x.dtype != object:
        return x.astype(np.int64)
    if any(abs(v) >= 10**18 for v in x):
        raise RuntimeFailure("finance_cash: an amount leaves DECIMAL(18,6) (|x| ≥ 10^12 EUR)")
    return x.astype(np.int64)


class TaxRule:
    """T(x) of [FIN-4] on micro-euros: one flat rate per parameter set, or the brackets of the input."""

    def __init__(self, brackets: list[tuple[Decimal | None, Decimal]], flat_pct: list[Decimal]) -> None:
        """`brackets`: (up_to_eur or None for the last, pct) in order; empty = the flat rate of each set."""
        self.brackets = bool(brackets)
        if self.brackets:
            self.pct, self.k = scaled([pct for _, pct in brackets])
            uppers = [None if up is None else int(up * MICRO) for up, _ in brackets]
            self.lowers = [0, *[u for u in uppers[:-1] if u is not None]]
            self.uppers = uppers
        else:
            self.pct, self.k = scaled(flat_pct)

    @classmethod
    def from_db(cls, con: duckdb.DuckDBPyConnection, flat_pct: list[Decimal]) -> TaxRule:
        """The rule of a run: `input_tax_brackets` when it has rows, else the flat rates."""
        rows = con.execute("SELECT up_to_eur, pct FROM input_tax_brackets ORDER BY bracket").fetchall()
        exact = [(None if up is None else float_to_decimal(up), float_to_decimal(pct)) for up, pct in rows]
        return cls(exact, flat_pct)

    def tax_micro(self, taxable: np.ndarray, pct_index: np.ndarray) -> np.ndarray:
        """round6(T(taxable)) per path; `pct_index` maps each path to its parameter set's flat rate."""
        den = 100 * 10**self.k
        if not self.brackets:
            return to_int64(round_div(product(taxable, self.pct[pct_index]), den))
        parts = []
        for a, low, up in zip(self.pct, self.lowers, self.uppers, strict=True):
            top = taxable if up is None else np.minimum(taxable, up)
            parts.append(product(np.maximum(top - low, 0), int(a)))
        return to_int64(round_div(exact_sum(parts), den))


def _parameters(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Per parameter set (index = position in param_set_id order): opening cash, rates and tax lag."""
    rows = con.execute(
        """SELECT param_set_id, CAST((loan_amount_eur + equity_injection_eur) * 1000000 AS BIGINT),
                  funding_line_rate_pct, corporate_income_pct, tax_payment_lag_months
           FROM finance_params ORDER BY param_set_id"""
    ).fetchall()
    rate, rate_k = scaled([r[2] for r in rows])
    return {
        "ids": np.array([r[0] for r in rows], dtype=np.int64),
        "opening": np.array([r[1] for r in rows], dtype=np.int64),
        "rate": rate,
        "rate_den": 1200 * 10**rate_k * (MICRO // 100),  # micro-euros × rate → cents
        "flat_pct": [r[3] for r in rows],
        "lag": np.array([r[4] for r in rows], dtype=np.int64),
    }


def recurrence(inputs: dict[str, np.ndarray], params: dict[str, Any], tax: TaxRule) -> dict[str, np.ndarray]:
    """Run the months in order over every path at once; arrays are (paths, months) of micro-euros."""
    paths, months = inputs["ebit_eur"].shape
    ps = np.searchsorted(params["ids"], inputs["param_set_id"][:, 0])
    rate, lag, rows = params["rate"][ps], params["lag"][ps], np.arange(paths)
    out = {name: np.zeros((paths, months), dtype=np.int64) for name, _, _ in COLUMNS[2:]}
    cash = params["opening"][ps].copy()
    ytd = tax_ytd = pool = loss_start = payable = np.zeros(paths, dtype=np.int64)
    fiscal = inputs["fiscal_year"]
    for t in range(months):
        new_year = np.ones(paths, dtype=bool) if t == 0 else fiscal[:, t] != fiscal[:, t - 1]
        loss_start = np.where(new_year, pool, loss_start)
        overdraft_interest = to_int64(round_div(product(np.maximum(-cash, 0), rate), params["rate_den"])) * 10_000
        interest = inputs["loan_interest_eur"][:, t] + overdraft_interest
        ebt = inputs["ebit_eur"][:, t] - interest
        ytd = np.where(new_year, 0, ytd) + ebt
        taxable = np.maximum(ytd - loss_start, 0)
        accrued = tax.tax_micro(taxable, ps)
        tax_t = accrued - np.where(new_year, 0, tax_ytd)
        tax_ytd, pool = accrued, np.maximum(loss_start - ytd, 0)
        out["tax_eur"][:, t] = tax_t
        source = t - lag
        paid = np.where(source >= 0, out["tax_eur"][rows, np.maximum(source, 0)], 0)
        payable = payable + tax_t - paid
        cfads = inputs["cfads_before_tax_eur"][:, t] - paid
        flow = cfads - inputs["capex_financed_eur"][:, t] - interest - inputs["principal_eur"][:, t]
        columns = {
            "overdraft_interest_eur": overdraft_interest,
            "interest_eur": interest,
            "ebt_eur": ebt,
            "ebt_ytd_eur": ytd,
            "loss_pool_start_eur": loss_start,
            "taxable_income_eur": taxable,
            "tax_ytd_eur": accrued,
            "tax_paid_eur": paid,
            "tax_payable_eur": payable,
            "loss_carryforward_eur": pool,
            "cfads_eur": cfads,
            "net_cash_flow_eur": flow,
            "cash_opening_eur": cash,
            "cash_closing_eur": cash + flow,
        }
        for name, value in columns.items():
            out[name][:, t] = value
        cash = cash + flow
    _running_sums(out, inputs["principal_eur"])
    return out


def _running_sums(out: dict[str, np.ndarray], principal: np.ndarray) -> None:
    """The balance-sheet and LTM sums of [FIN-8]/[FIN-9], exact in int64 (finance_month reads them; a window
    there sorted every wide row, issue 13)."""
    out["retained_earnings_eur"][:] = np.cumsum(out["ebt_eur"] - out["tax_eur"], axis=1)
    debt_service = out["interest_eur"] + principal
    for name, monthly in (("cfads_ltm_eur", out["cfads_eur"]), ("debt_service_ltm_eur", debt_service)):
        to_date = np.cumsum(monthly, axis=1)
        out[name][:] = to_date
        out[name][:, LTM_MONTHS:] -= to_date[:, :-LTM_MONTHS]


def _zero_nulls(column: Column) -> np.ndarray:
    return column.values if column.nulls is None else np.where(column.nulls, 0, column.values)


def _load_inputs(con: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    """finance_operating_cash as (paths, months) int64 arrays in path_id, month order."""
    sql = INPUT_SQL.format(money=",\n        ".join(_micro_sql(c) for c in INPUT_MONEY))
    # A NULL amount counts 0, as it did when these columns came through fetchnumpy (the SQL upstream coalesces).
    flat = {name: _zero_nulls(column) for name, column in fetch_columns(con, sql).items()}
    months = int(con.execute("SELECT count(DISTINCT month) FROM finance_operating_cash").fetchall()[0][0])
    n = len(flat["path_id"])
    if months == 0 or n % months:
        raise RuntimeFailure("finance_cash: finance_operating_cash is not a full path × month grid")
    return {name: np.asarray(values, dtype=np.int64).reshape(n // months, months) for name, values in flat.items()}


def build_finance_cash(con: duckdb.DuckDBPyConnection) -> int:
    """Create table `finance_cash` (path × month) from finance_operating_cash and finance_params; returns rows."""
    inputs = _load_inputs(con)
    params = _parameters(con)
    out = recurrence(inputs, params, TaxRule.from_db(con, params["flat_pct"]))
    money = [name for name, _, _ in COLUMNS[2:]]
    try:  # micro-euros are the exact DECIMAL(18,6) values: handed over as such, no arithmetic (core/columns.py)
        columns = {name: decimal_array(out[name].reshape(-1), 18, 6) for name in money}
    except ValueError as exc:
        raise RuntimeFailure("finance_cash: an amount leaves DECIMAL(18,6) (|x| ≥ 10^12 EUR)") from exc
    raw = {"path_id": inputs["path_id"].reshape(-1), "month": inputs["month"].reshape(-1), **columns}
    register_arrays(con, "_d3_finance_cash", raw)
    listed = ", ".join(money)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {MODEL_NAME} AS SELECT path_id, month, {listed} "
            "FROM _d3_finance_cash ORDER BY path_id, month"
        )
    finally:
        con.unregister("_d3_finance_cash")
    return len(raw["path_id"])


def model() -> Model:
    """The funding recurrence as an engine model (fingerprint: this module's source)."""
    return Model(
        name=MODEL_NAME,
        version=MODEL_VERSION,
        deps=list(DEPS),
        layer=LAYER,
        python=build_finance_cash,
        fingerprint_source=inspect.getsource(sys.modules[__name__]),
        python_tables=[HEADER],
    )
