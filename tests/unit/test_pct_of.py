"""The `pct_of` macro (sql/macros/pct_of.sql): round6(pct/100 × amount) with a float fast path, issue 13 item 3.

Compared with Python's exact decimal arithmetic on random values over many magnitudes, on rows built to sit
within a few units of the 18th decimal of a tie (which the fast path must hand to the exact product), and on
NULLs; the share of rows that take each branch is checked so that neither branch goes untested.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal, localcontext

import duckdb

from d3_engine.core.files import sql_dir
from d3_engine.models.render import render_text
from tests.unit.decimal_rows import insert_rows

MACRO = "".join(
    (sql_dir() / "macros" / f).read_text("utf-8") for f in ("pct_of.sql", "product_round6.sql", "round6_fast.sql")
)


def _exact(pct: str, amount: str) -> Decimal:
    with localcontext(prec=80):
        return (Decimal(pct) * Decimal(amount) / 100).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _cases(rng: random.Random) -> list[tuple[str, str]]:
    cases = []
    for _ in range(10_000):
        pct = Decimal(rng.randint(0, 10**12)).scaleb(-10)  # 0 … 100 with 10 decimals (DEC(38,10) rates)
        digits = rng.choice([6, 9, 12, 15, 17])
        amount = Decimal(rng.randint(-(10**digits), 10**digits)).scaleb(-6)
        cases.append((str(pct), str(amount)))
    with localcontext(prec=80):
        for _ in range(2_000):  # amount·pct/100 within 10^-18 of a tie k + ½ micro-euros
            pct = Decimal(rng.randint(1, 10**4)).scaleb(-2)
            k = rng.randint(-(10**11), 10**11)
            amount = ((Decimal(k) + Decimal("0.5")).scaleb(-6) * 100 / pct).quantize(Decimal(1).scaleb(-6))
            cases.append((str(pct), str(amount)))
    return cases


def test_fast_path_equals_the_exact_product_on_random_values_and_near_ties() -> None:
    cases = _cases(random.Random("pct_of"))
    con = duckdb.connect()
    con.execute("CREATE TABLE q (i INTEGER, p DECIMAL(38,10), a DECIMAL(38,6))")
    insert_rows(con, "q", [(i, p, a) for i, (p, a) in enumerate(cases)])
    q = "abs(CAST(p AS DOUBLE) * CAST(a AS DOUBLE) * 10000)"
    fast = con.execute(f"SELECT count(*) FROM q WHERE {q} < 1e12 AND abs({q} - round({q})) < 0.49").fetchall()[0][0]
    assert 5_000 < fast < len(cases) - 3_000  # both branches are exercised
    within = "abs(CAST(p AS DOUBLE) * CAST(a AS DOUBLE)) < 1e13"  # DECIMAL(18,6) holds the result
    sql = MACRO + f"SELECT i, {{{{ pct_of('p', 'a') }}}} FROM q WHERE {within} ORDER BY i"
    got = con.execute(render_text(sql, {}, "test")).fetchall()
    stored = {i: (p, a) for i, p, a in con.execute("SELECT i, p, a FROM q").fetchall()}
    assert len(got) > 11_000
    assert [v for _, v in got] == [_exact(str(stored[i][0]), str(stored[i][1])) for i, _ in got]


def test_null_operands_give_null_and_type_is_decimal_18_6() -> None:
    con = duckdb.connect()
    sql = MACRO + "SELECT {{ pct_of('p', 'a') }} AS x FROM (SELECT CAST(NULL AS DECIMAL(38,10)) AS p, 5.0 AS a)"
    rendered = render_text(sql, {}, "test")
    assert con.execute(rendered).fetchall() == [(None,)]
    assert con.execute(f"DESCRIBE {rendered}").fetchall()[0][1] == "DECIMAL(18,6)"


def test_product_round6_equals_the_exact_rounded_product() -> None:
    """An amount times a factor (the infrastructure overhead 1 + pct/100), fast path and ties included."""
    rng = random.Random("product_round6")
    rows = []
    with localcontext(prec=80):
        for i in range(8_000):
            factor = 1 + Decimal(rng.randint(0, 10**12)).scaleb(-12)
            if i % 4 == 0:  # a product within 10^-18 of a tie
                amount = ((Decimal(rng.randint(0, 10**11)) + Decimal("0.5")).scaleb(-6) / factor).quantize(
                    Decimal("0.000001")
                )
            else:
                amount = Decimal(rng.randint(0, 10 ** rng.choice([6, 9, 12, 15]))).scaleb(-6)
            rows.append((i, str(amount), str(factor)))
    con = duckdb.connect()
    con.execute("CREATE TABLE q (i INTEGER, a DECIMAL(18,6), f DECIMAL(28,12))")
    insert_rows(con, "q", rows)
    sql = MACRO + "SELECT i, {{ product_round6('a', 'f') }} FROM q ORDER BY i"
    got = [v for _, v in con.execute(render_text(sql, {}, "test")).fetchall()]
    with localcontext(prec=80):
        exact = [(Decimal(a) * Decimal(f)).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP) for _, a, f in rows]
    assert got == exact


def test_credits_sold_equals_the_exact_quotient_rounded_half_up() -> None:
    """[PUB-10] credits = round6(usage / (1 − breakage/100)) over breakage rates up to 99.99 %, near and exact ties."""
    rng = random.Random("credits_sold")
    rows = []
    with localcontext(prec=80):
        for i in range(8_000):
            breakage = Decimal(rng.randint(0, 9_999 * 10**8)).scaleb(-10)  # 0 … 99.99 with 10 decimals
            kept = (100 - breakage) / 100
            if i % 4 == 0:  # usage whose quotient is within a micro-euro of a tie
                usage = ((Decimal(rng.randint(0, 10**11)) + Decimal("0.5")).scaleb(-6) * kept).quantize(Decimal("1e-6"))
            elif i % 4 == 1:  # an exact tie: 60 % breakage and an odd number of micro-euros (× 2.5)
                breakage, usage = Decimal(60), Decimal(2 * rng.randint(0, 10**11) + 1).scaleb(-6)
            else:
                usage = Decimal(rng.randint(0, 10 ** rng.choice([6, 9, 12, 15]))).scaleb(-6)
            rows.append((i, str(usage), str(breakage)))
    con = duckdb.connect()
    con.execute("CREATE TABLE q (i INTEGER, u DECIMAL(18,6), b DECIMAL(38,12))")
    insert_rows(con, "q", rows)
    body = (
        "SELECT i, {{ credits_sold('u', 'k', 'e') }} FROM (SELECT *, CAST(100 - b AS DOUBLE) AS k, "
        "CAST(b * 1000000000000 AS HUGEINT) AS e FROM q) WHERE CAST(u AS DOUBLE) * 100 / k < 1e11 ORDER BY i"
    )
    credits_macro = (sql_dir() / "macros" / "credits_sold.sql").read_text("utf-8")
    got = con.execute(render_text(MACRO + credits_macro + body, {}, "test")).fetchall()
    assert len(got) > 7_000
    with localcontext(prec=80):
        exact = {
            i: (Decimal(u) * 100 / (100 - Decimal(b))).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
            for i, u, b in rows
        }
    assert [v for _, v in got] == [exact[i] for i, _ in got]
