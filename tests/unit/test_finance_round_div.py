"""The `round_div` Jinja macro of the finance models: exact [GEN-4] division in DuckDB.

DuckDB's `/` on DECIMAL returns DOUBLE; the macro lets the float quotient propose a result and
exact DECIMAL products decide it. These tests compare it with Python's exact arithmetic on seeded
values (ties, signs, zero denominators, scales up to 26). The macro lives in sql/macros/round_div.sql.
"""

from __future__ import annotations

import random
import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

import duckdb
import pytest

from d3_engine.core.files import sql_dir
from d3_engine.models.render import render_text
from tests.unit.decimal_rows import insert_rows

MACRO = re.compile(r"\{#- round_div.*?\{%- endmacro %\}\n", re.DOTALL)
FINANCE = sql_dir() / "models" / "50_finance"


def _copies() -> dict[str, str]:
    """The macro file's text (rendering adds every macro file anyway; this keeps the tests explicit)."""
    return {"round_div.sql": (sql_dir() / "macros" / "round_div.sql").read_text("utf-8")}


def _divide(con: duckdb.DuckDBPyConnection, num: str, scale: int, den: str, places: int) -> Decimal | None:
    sql = f"""SELECT {{{{ round_div('n', 'd', {places}) }}}}
              FROM (SELECT CAST('{num}' AS DECIMAL(38,{scale})) AS n, CAST('{den}' AS DECIMAL(18,6)) AS d)"""
    value: Decimal | None = con.execute(render_text(next(iter(_copies().values())) + sql, {}, "test")).fetchall()[0][0]
    return value


def _exact(num: str, den: str, places: int) -> Decimal | None:
    if Decimal(den) == 0:
        return None
    with localcontext(prec=80):
        return (Decimal(num) / Decimal(den)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def test_no_model_redefines_the_shared_macro() -> None:
    """One definition only: a model-local copy would silently shadow sql/macros/round_div.sql."""
    assert MACRO.search(_copies()["round_div.sql"])
    assert not [p.name for p in FINANCE.glob("*.sql") if "macro round_div" in p.read_text("utf-8")]


@pytest.mark.parametrize(
    ("num", "scale", "den", "places", "expected"),
    [
        ("0.0000025", 7, "1", 6, "0.000003"),  # a tie goes away from zero
        ("-0.0000025", 7, "1", 6, "-0.000003"),
        ("1", 0, "8", 2, "0.13"),  # 0.125 → 0.13
        ("-1", 0, "8", 2, "-0.13"),
        ("520", 6, "1910.6", 6, "0.272166"),  # FIN-10 share of EX-8 month 1, not rounded to a factor first
        ("-3595.434", 6, "120", 6, "-29.961950"),  # EX-8 month-1 DSCR
        ("5", 0, "0", 6, None),  # null at a zero denominator (FIN-9)
    ],
)
def test_known_quotients(num: str, scale: int, den: str, places: int, expected: str | None) -> None:
    got = _divide(duckdb.connect(), num, scale, den, places)
    assert got == (None if expected is None else Decimal(expected))


def _seeded_cases(rng: random.Random, scale: int) -> list[tuple[str, str]]:
    """(numerator, denominator) texts: numerators up to 10^6 with `scale` decimals, denominators amounts or counts."""
    cases = []
    for _ in range(200):
        num = Decimal(rng.randint(-(10**12), 10**12)).scaleb(-6)
        num = num + Decimal(rng.randint(0, 10 ** (scale - 6) - 1)).scaleb(-scale) if scale > 6 else num
        num = num.quantize(Decimal(1).scaleb(-scale)) if scale < 6 else num
        den = rng.choice([1, 3, 7, 30, 3000]) if rng.random() < 0.3 else Decimal(rng.randint(0, 10**12)).scaleb(-6)
        cases.append((str(num), str(den)))
    return cases


@pytest.mark.parametrize("places", [2, 4, 6])
@pytest.mark.parametrize("scale", [0, 2, 6, 12, 20, 26])
def test_matches_exact_arithmetic_on_seeded_values(scale: int, places: int) -> None:
    """200 seeded quotients per numerator scale and precision, in one query each."""
    cases = _seeded_cases(random.Random(f"{scale}-{places}"), scale)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE q (i INTEGER, n DECIMAL(38,{scale}), d DECIMAL(18,6))")
    insert_rows(con, "q", [(i, n, d) for i, (n, d) in enumerate(cases)])
    sql = f"SELECT i, {{{{ round_div('n', 'd', {places}) }}}} FROM q ORDER BY i"
    got = [v for _, v in con.execute(render_text(next(iter(_copies().values())) + sql, {}, "test")).fetchall()]
    assert got == [_exact(n, d, places) for n, d in cases]


def test_out_of_range_quotient_raises_instead_of_rounding_wrongly() -> None:
    """Beyond ~10^14 units the float proposal may be more than 1 off: the macro raises."""
    with pytest.raises(duckdb.Error, match="round_div"):
        _divide(duckdb.connect(), "999999999999", 6, "0.000003", 6)


def _near_ties(rng: random.Random, places: int) -> list[tuple[str, str]]:
    """Numerators within a few units of the last numerator digit of a tie (k + ½)·10^-places·den: the rows the
    fast path must hand to the exact products."""
    cases = []
    with localcontext(prec=60):
        for _ in range(2000):
            den = Decimal(rng.randint(1, 10**10)).scaleb(-6)
            k = rng.randint(-(10**9), 10**9)
            tie = (Decimal(k) + Decimal("0.5")).scaleb(-places) * den
            num = (tie + Decimal(rng.randint(-3, 3)).scaleb(-20)).quantize(Decimal(1).scaleb(-20))
            cases.append((str(num), str(den)))
    return cases


@pytest.mark.parametrize("places", [2, 6])
def test_fast_path_and_exact_products_agree_with_exact_arithmetic(places: int) -> None:
    """Issue 13 item 3: 10 000 random quotients over many magnitudes plus 2 000 near ties, both branches taken."""
    rng = random.Random(f"fast-{places}")
    cases = [
        (str(Decimal(rng.randint(-(10**15), 10**15)).scaleb(-rng.choice([6, 12, 20]))),
         str(Decimal(rng.randint(1, 10 ** rng.choice([1, 6, 12]))).scaleb(-6)))
        for _ in range(10_000)
    ] + _near_ties(rng, places)  # fmt: skip
    con = duckdb.connect()
    con.execute("CREATE TABLE q (i INTEGER, n DECIMAL(38,20), d DECIMAL(18,6))")
    insert_rows(con, "q", [(i, n, d) for i, (n, d) in enumerate(cases)])
    q = f"CAST(n AS DOUBLE) / CAST(d AS DOUBLE) * {10**places}"
    fast = con.execute(f"SELECT count(*) FROM q WHERE abs({q}) < 1e12 AND abs({q} - round({q})) < 0.49").fetchall()
    assert 5_000 < fast[0][0] < len(cases) - 1_500  # most rows take the fast path, the near ties do not
    sql = f"SELECT i, {{{{ round_div('n', 'd', {places}) }}}} FROM q WHERE abs({q}) < 1e13 ORDER BY i"
    got = con.execute(render_text(next(iter(_copies().values())) + sql, {}, "test")).fetchall()
    exact = {i: _exact(n, d, places) for i, (n, d) in enumerate(cases)}
    assert len(got) > 8_000
    assert [v for _, v in got] == [exact[i] for i, _ in got]


def test_num_float_from_the_factors_gives_the_same_quotients() -> None:
    """segment_month passes num = a·b with its float from the factors; 5 000 random products, exact results."""
    rng = random.Random("num_float")
    rows = []
    for i in range(5_000):  # an overhead a, a driver b and a total d ≥ b (the FIN-10 share a·b/d)
        b = rng.randint(0, 10 ** rng.choice([3, 9, 12]))
        rows.append((i, str(Decimal(rng.randint(-(10**12), 10**12)).scaleb(-6)), str(Decimal(b).scaleb(-6)),
                     str(Decimal(b + rng.randint(1, 10**12)).scaleb(-6))))  # fmt: skip
    con = duckdb.connect()
    con.execute("CREATE TABLE q (i INTEGER, a DECIMAL(38,6), b DECIMAL(18,6), d DECIMAL(18,6))")
    insert_rows(con, "q", rows)
    macro = "{{ round_div('a * b', 'd', num_float='CAST(a AS DOUBLE) * CAST(b AS DOUBLE)') }}"
    sql = f"SELECT i, {macro} FROM q ORDER BY i"
    got = [v for _, v in con.execute(render_text(next(iter(_copies().values())) + sql, {}, "test")).fetchall()]
    with localcontext(prec=80):
        assert got == [_exact(str(Decimal(a) * Decimal(b)), d, 6) for _, a, b, d in rows]
