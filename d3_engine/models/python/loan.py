"""Exact per-parameter-set money schedules: the loan [FIN-3] and the CPI-indexed fixed costs [FIN-1].

Both need exact rational arithmetic that DuckDB DECIMAL cannot give ([GEN-4]):
- the loan's monthly rate `r = interest_rate_pct/1200` is a non-terminating decimal for most rates
  (9.95/1200 = 0.0082916…), and the annuity `P = round2(B₀·r / (1 − (1+r)^−n))` needs `(1+r)^−n`
  exactly before its single rounding to cents;
- the indexed fixed cost `round6(item × (1 + cpi/100)^k)` has 3k (or more) decimals before its
  rounding (1.025⁹ has 27), more than DECIMAL(38, s) can carry next to the item's integer digits.

So both are computed here with `fractions.Fraction`, once per DISTINCT tuple of the parameters they
depend on (never per path), and joined back to every parameter set in SQL. They are engine models
with the same table contract as SQL models (`d3_engine.models.graph.Model`, fingerprinted by module source).
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from d3_engine.core.db import create_table, transaction
from d3_engine.core.formats import float_to_decimal
from d3_engine.models.graph import Model
from d3_engine.models.header import parse_header

if TYPE_CHECKING:
    import duckdb

MODEL_NAME = "loan_schedule"
MODEL_VERSION = 1
CPI_MODEL_NAME = "fixed_cost_indexed"
CPI_MODEL_VERSION = 1
LAYER = "50_finance"

REPAYMENT_TYPES = ("annuity", "linear", "bullet")
LOAN_HEADER = parse_header(
    """
-- model: loan_schedule
-- version: 1
-- purpose: the loan schedule per parameter set, s = 1..term, exact to the cent [FIN-3] [GEN-4]
-- grain: param_set_id, month
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   month BIGINT <month>  loan month s = 1..term (plan month s)
--   period VARCHAR <YYYY-MM>  calendar month of plan month s
--   phase VARCHAR <text>  grace | interest_only | repayment [FIN-3]
--   opening_balance_eur DECIMAL(18,6) <EUR>  balance before month s [FIN-3]
--   interest_eur DECIMAL(18,6) <EUR>  round2(balance × r) [FIN-3]
--   principal_eur DECIMAL(18,6) <EUR>  principal repaid in month s [FIN-3]
--   payment_eur DECIMAL(18,6) <EUR>  interest + principal [FIN-3]
--   closing_balance_eur DECIMAL(18,6) <EUR>  opening − principal [FIN-3]
""",
    "d3_engine/models/python/loan.py",
)
CPI_HEADER = parse_header(
    """
-- model: fixed_cost_indexed
-- version: 1
-- purpose: every fixed-cost item indexed by CPI per parameter set and plan year, round6 exact [FIN-1] [GEN-4]
-- grain: param_set_id, plan_year, item
-- columns:
--   param_set_id BIGINT <id>  parameter set [GEN-2]
--   grid_index BIGINT <id>  grid point of the parameter set
--   replicate_index BIGINT <id>  replicate of the parameter set
--   plan_year BIGINT <year>  k = ⌊(t−1)/12⌋, 0 for months 1..12
--   item VARCHAR <id>  fixed-cost item of finance.fixed_costs_monthly_eur [FIN-1]
--   amount_eur DECIMAL(18,6) <EUR>  round6(item × (1 + cpi_annual_pct/100)^k), per month [FIN-1]
""",
    "d3_engine/models/python/loan.py",
)
_CENT = Fraction(1, 100)
_MICRO = Fraction(1, 1_000_000)


@dataclass(frozen=True)
class LoanTerms:
    """The `loan.*` keys of one parameter set, as exact decimals of their input text ([GEN-4])."""

    amount_eur: Decimal
    term_months: int
    interest_rate_pct: Decimal
    repayment_type: str
    grace_period_months: int


@dataclass(frozen=True)
class ScheduleRow:
    """One month s of the loan schedule; money in EUR, exact to the cent."""

    month: int
    phase: str
    opening_balance: Decimal
    interest: Decimal
    principal: Decimal
    payment: Decimal
    closing_balance: Decimal


def exact(value: float | int | str | Decimal) -> Decimal:
    """The exact decimal of an input number: a float through its shortest round-trip text (`repr`)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return float_to_decimal(value)
    return Decimal(value)


def round_to(x: Fraction, step: Fraction) -> Fraction:
    """x rounded half away from zero to a multiple of `step` (1/100 for cents, 1/10⁶ for round6)."""
    units = abs(x) / step
    whole = units.numerator // units.denominator
    if units - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole if x >= 0 else -whole) * step


def _decimal(x: Fraction, places: int) -> Decimal:
    """A Fraction that is a multiple of 10^-places as a Decimal with exactly that many places."""
    scaled = x * 10**places
    if scaled.denominator != 1:
        raise ValueError(f"{x} is not a multiple of 10^-{places}")
    return Decimal(scaled.numerator).scaleb(-places)


def annuity_payment(amount: Fraction, r: Fraction, n: int) -> Fraction:
    """P = round2(B₀·r / (1 − (1+r)^−n)), or round2(B₀/n) when r = 0 [FIN-3], exact."""
    if r == 0:
        return round_to(amount / n, _CENT)
    return round_to(amount * r / (1 - (1 + r) ** -n), _CENT)


def _principal(terms: LoanTerms, s: int, opening: Fraction, interest: Fraction, fixed: Fraction) -> Fraction:
    """principal_s of [FIN-3]; `fixed` is P (annuity) or round2(B₀/n) (linear)."""
    if s == terms.term_months:
        return opening  # the term's last month repays the residual whatever the type
    if s <= terms.grace_period_months or terms.repayment_type == "bullet":
        return Fraction(0)
    if terms.repayment_type == "annuity":
        return min(fixed - interest, opening)
    return min(fixed, opening)


def loan_schedule(terms: LoanTerms) -> list[ScheduleRow]:
    """The full schedule s = 1..term of [FIN-3] (independent of the horizon); no rows for amount 0.

    Raises:
        ValueError: on an unknown repayment type or inconsistent months (the loader validates the
            user-facing rules; this guards the arithmetic).
    """
    if terms.repayment_type not in REPAYMENT_TYPES:
        raise ValueError(f"unknown repayment_type {terms.repayment_type!r}")
    if not 0 <= terms.grace_period_months < terms.term_months:
        raise ValueError("need 0 <= grace_period_months < term_months")
    amount = Fraction(terms.amount_eur)
    if amount == 0:
        return []
    r = Fraction(terms.interest_rate_pct) / 1200
    n = terms.term_months - terms.grace_period_months
    # P for an annuity, round2(B₀/n) for a linear loan (unused for a bullet loan)
    fixed = annuity_payment(amount, r, n) if terms.repayment_type == "annuity" else round_to(amount / n, _CENT)
    rows: list[ScheduleRow] = []
    balance = amount
    for s in range(1, terms.term_months + 1):
        interest = round_to(balance * r, _CENT)
        principal = _principal(terms, s, balance, interest, fixed)
        closing = balance - principal
        phase = "grace" if s <= terms.grace_period_months else "interest_only" if principal == 0 else "repayment"
        rows.append(
            ScheduleRow(
                s,
                phase,
                *(_decimal(v, 2) for v in (balance, interest, principal, interest + principal, closing)),
            )
        )
        balance = closing
    return rows


def indexed_amount(item_eur: Decimal, cpi_annual_pct: Decimal, plan_year: int) -> Decimal:
    """round6(item × (1 + cpi/100)^k) in exact arithmetic [FIN-1], [GEN-4] (k = ⌊(t−1)/12⌋)."""
    factor = (1 + Fraction(cpi_annual_pct) / 100) ** plan_year
    return _decimal(round_to(Fraction(item_eur) * factor, _MICRO), 6)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql).fetchall()


def _create_from_terms(
    con: duckdb.DuckDBPyConnection,
    table: str,
    key_rows: dict[str, list[Any]],
    value_schema: dict[str, str],
    value_rows: dict[str, list[Any]],
    select_sql: str,
) -> int:
    """Create `table` by joining per-tuple rows (`{terms_rows}` of `select_sql`) to the parameter sets
    (`{terms_map}`). The helper tables are named after `table`: the per-set models run up to --max-concurrency at
    once, and two of them build from terms."""
    terms_map, terms_rows = f"_d3_terms_map_{table}", f"_d3_terms_rows_{table}"
    with transaction(con):  # one commit for the helpers, the table and the drops (core/db.transaction)
        create_table(con, terms_map, {"param_set_id": "BIGINT", "terms_id": "BIGINT"}, key_rows)
        create_table(con, terms_rows, value_schema, value_rows)
        select = select_sql.format(terms_map=f'"{terms_map}"', terms_rows=f'"{terms_rows}"')
        con.execute(f'CREATE OR REPLACE TABLE "{table}" AS {select}')
        con.execute(f'DROP TABLE "{terms_map}"')
        con.execute(f'DROP TABLE "{terms_rows}"')
    return int(_fetch(con, f'SELECT count(*) FROM "{table}"')[0][0])


LOAN_ROW_SCHEMA = {
    "terms_id": "BIGINT",
    "month": "BIGINT",
    "phase": "VARCHAR",
    "opening_balance_eur": "DECIMAL(18,6)",
    "interest_eur": "DECIMAL(18,6)",
    "principal_eur": "DECIMAL(18,6)",
    "payment_eur": "DECIMAL(18,6)",
    "closing_balance_eur": "DECIMAL(18,6)",
}

LOAN_SELECT = """
    SELECT g.param_set_id, g.grid_index, g.replicate_index, r.month,
           printf('%04d-%02d', (g.start_year * 12 + g.start_month - 2 + r.month) // 12,
                  (g.start_month - 2 + r.month) % 12 + 1) AS period,
           r.phase, r.opening_balance_eur, r.interest_eur, r.principal_eur, r.payment_eur,
           r.closing_balance_eur
    FROM params_general AS g
    JOIN {terms_map} AS m USING (param_set_id)
    JOIN {terms_rows} AS r USING (terms_id)
    ORDER BY g.param_set_id, r.month
"""


def build_loan_schedule(con: duckdb.DuckDBPyConnection) -> int:
    """Create table `loan_schedule` (param_set_id × month 1..term) from `params_general`; returns rows."""
    params = _fetch(
        con,
        """SELECT param_set_id, loan_amount_eur, term_months, interest_rate_pct, repayment_type,
                  grace_period_months FROM params_general ORDER BY param_set_id""",
    )
    terms_ids: dict[LoanTerms, int] = {}
    keys: dict[str, list[Any]] = {"param_set_id": [], "terms_id": []}
    for ps, amount, term, rate, kind, grace in params:
        terms = LoanTerms(exact(amount), int(term), exact(rate), str(kind), int(grace))
        keys["param_set_id"].append(int(ps))
        keys["terms_id"].append(terms_ids.setdefault(terms, len(terms_ids)))
    rows: dict[str, list[Any]] = {c: [] for c in LOAN_ROW_SCHEMA}
    for terms, terms_id in terms_ids.items():
        for row in loan_schedule(terms):
            rows["terms_id"].append(terms_id)
            rows["month"].append(row.month)
            rows["phase"].append(row.phase)
            for column in ("opening_balance", "interest", "principal", "payment", "closing_balance"):
                rows[f"{column}_eur"].append(str(getattr(row, column)))
    return _create_from_terms(con, MODEL_NAME, keys, LOAN_ROW_SCHEMA, rows, LOAN_SELECT)


CPI_ROW_SCHEMA = {"terms_id": "BIGINT", "plan_year": "BIGINT", "item": "VARCHAR", "amount_eur": "DECIMAL(18,6)"}

CPI_SELECT = """
    SELECT g.param_set_id, g.grid_index, g.replicate_index, r.plan_year, r.item, r.amount_eur
    FROM params_general AS g
    JOIN {terms_map} AS m USING (param_set_id)
    JOIN {terms_rows} AS r USING (terms_id)
    ORDER BY g.param_set_id, r.plan_year, r.item
"""


def build_fixed_cost_indexed(con: duckdb.DuckDBPyConnection) -> int:
    """Create `fixed_cost_indexed` (param_set_id × plan_year 0..⌊(H−1)/12⌋ × item); returns rows."""
    horizon = int(_fetch(con, "SELECT horizon_months FROM run_settings")[0][0])
    years = (horizon - 1) // 12 + 1
    cpi = dict(_fetch(con, "SELECT param_set_id, cpi_annual_pct FROM params_general"))
    items: dict[int, list[tuple[str, float]]] = {int(ps): [] for ps in cpi}
    for ps, item, amount in _fetch(con, "SELECT param_set_id, item, amount_eur FROM params_fixed_costs"):
        items[int(ps)].append((str(item), float(amount)))
    terms_ids: dict[tuple[Decimal, tuple[tuple[str, Decimal], ...]], int] = {}
    keys: dict[str, list[Any]] = {"param_set_id": [], "terms_id": []}
    for ps in sorted(items):
        terms = (exact(cpi[ps]), tuple(sorted((name, exact(v)) for name, v in items[ps])))
        keys["param_set_id"].append(ps)
        keys["terms_id"].append(terms_ids.setdefault(terms, len(terms_ids)))
    rows: dict[str, list[Any]] = {c: [] for c in CPI_ROW_SCHEMA}
    for (rate, item_values), terms_id in terms_ids.items():
        for k in range(years):
            for name, value in item_values:
                rows["terms_id"].append(terms_id)
                rows["plan_year"].append(k)
                rows["item"].append(name)
                rows["amount_eur"].append(str(indexed_amount(value, rate, k)))
    return _create_from_terms(con, CPI_MODEL_NAME, keys, CPI_ROW_SCHEMA, rows, CPI_SELECT)


def _module_source() -> str:
    return inspect.getsource(sys.modules[__name__])


def model() -> Model:
    """The loan schedule as an engine model [FIN-3]: table `loan_schedule` (columns: `LOAN_HEADER`)."""
    return Model(
        name=MODEL_NAME,
        version=MODEL_VERSION,
        deps=["params_general"],
        layer=LAYER,
        python=build_loan_schedule,
        fingerprint_source=_module_source(),
        python_tables=[LOAN_HEADER],
    )


def cpi_model() -> Model:
    """The CPI-indexed fixed costs as an engine model [FIN-1]: table `fixed_cost_indexed` (columns: `CPI_HEADER`).

    Reads `params_general`, `params_fixed_costs` and `run_settings.horizon_months`.
    """
    return Model(
        name=CPI_MODEL_NAME,
        version=CPI_MODEL_VERSION,
        deps=["params_general", "params_fixed_costs"],
        layer=LAYER,
        python=build_fixed_cost_indexed,
        fingerprint_source=_module_source(),
        python_tables=[CPI_HEADER],
    )
