"""Unit tests for d3_engine.core.formats and sql/macros: [GEN-4] DEC, [GEN-5] percentiles, [OUT-3], [OUT-8]."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path

import duckdb
import jinja2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from d3_engine.core.formats import (
    INT_COLUMNS,
    PACKS_INT_COLUMNS,
    csv_field,
    dec,
    decimals_for_column,
    draw_value_text,
    dumps_json,
    format_cell,
    format_number,
    percentile_exact,
    percentile_exact_of_integers,
    percentile_float,
    percentile_float_of_array,
    places_for_unit,
    round_half_away,
    sha256_file,
    write_csv,
    write_sha256sums,
)

D = Decimal
MACROS = Path(__file__).resolve().parents[2] / "sql" / "macros"
PERCENTILES = [0, 1, 5, 10, 25, 33, 50, 67, 75, 90, 95, 99, 100]
SQL_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---------------------------------------------------------------------------------------------------
# Independent oracles (integer / Fraction arithmetic, no Decimal rounding modes)


def oracle_fixed(text: str, places: int) -> str:
    """Half-away-from-zero fixed-point text of the exact decimal `text`, built from integers."""
    q = Fraction(Decimal(text)) * 10**places
    n = math.floor(abs(q) + Fraction(1, 2))
    digits = str(n).rjust(places + 1, "0")
    body = digits if places == 0 else f"{digits[:-places]}.{digits[-places:]}"
    return ("-" if q < 0 and n != 0 else "") + body


def oracle_percentile(values: list[Fraction], p: int) -> Fraction:
    """GEN-5 on exact rationals with h = (n−1)·p/100."""
    xs = sorted(values)
    h = Fraction((len(xs) - 1) * p, 100)
    i = math.floor(h)
    nxt = xs[min(i + 1, len(xs) - 1)]
    return xs[i] + (h - i) * (nxt - xs[i])


# ---------------------------------------------------------------------------------------------------
# GEN-4 DEC and rounding

TRICKY_DEC = [
    (5e-07, "0.000001"),
    (2.5e-07, "0.000000"),
    (1234.5678905, "1234.567891"),
    (-5e-07, "-0.000001"),
    (1e-07, "0.000000"),
    (123456789.123456789, "123456789.123457"),  # repr is 123456789.12345679
    (49.9999995, "50.000000"),
    (-4e-07, "0.000000"),
    (0.1 + 0.2, "0.300000"),
    (1.4999999999999998e-06, "0.000001"),  # would become 0.000002 if rounded twice
    (2.675, "2.675000"),
    (-0.0, "0.000000"),
    (1e15, "1000000000000000.000000"),
]


@pytest.mark.parametrize(("value", "expected"), TRICKY_DEC)
def test_dec_tricky_values(value: float, expected: str) -> None:
    got = dec(value)
    assert str(got) == expected
    assert got.as_tuple().exponent == -6


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_dec_rejects_non_finite(value: float) -> None:
    with pytest.raises(ValueError):
        dec(value)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_dec_matches_oracle(x: float) -> None:
    assert str(dec(x)) == oracle_fixed(repr(x), 6)


def test_dec_uses_repr_not_binary_value() -> None:
    # the binary value of 2.675 is 2.67499999999999982236431605997495353221893310546875
    assert D(2.675) < D("2.675")
    assert round_half_away(dec(2.675), 2) == D("2.68")
    assert dec(np.float64(5e-07)) == D("0.000001")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        ("0.125", 2, "0.13"),
        ("-0.125", 2, "-0.13"),
        ("0.135", 2, "0.14"),
        ("2.5", 0, "3"),
        ("-2.5", 0, "-3"),
        ("-0.004", 2, "0.00"),
        ("1E+2", 2, "100.00"),
        ("123456789012345678901234567890.5", 0, "123456789012345678901234567891"),
    ],
)
def test_round_half_away(value: str, places: int, expected: str) -> None:
    assert str(round_half_away(D(value), places)) == expected


def test_round_half_away_never_negative_zero() -> None:
    assert not round_half_away(D("-0.0000001"), 6).is_signed()


# ---------------------------------------------------------------------------------------------------
# OUT-3 numbers


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (0.125, 2, "0.13"),
        (-0.125, 2, "-0.13"),
        (2.675, 2, "2.68"),  # from repr, not from the binary value below .675
        (1.005, 2, "1.01"),
        (-0.0, 2, "0.00"),
        (-0.0, 4, "0.0000"),
        (-0.0, 6, "0.000000"),
        (-0.001, 2, "0.00"),
        (D("-0.000"), 2, "0.00"),
        (-0.0, None, "0"),
        (-0.4, None, "0"),
        (2.5, None, "3"),
        (-2.5, None, "-3"),
        (D("7.5"), None, "8"),
        (math.inf, 2, "inf"),
        (-math.inf, 2, "-inf"),
        (D("Infinity"), 6, "inf"),
        (math.nan, 2, ""),
        (D("NaN"), 2, ""),
        (None, 2, ""),
        (None, None, ""),
        (True, 2, "true"),
        (False, None, "false"),
        (42, None, "42"),
        (-7, None, "-7"),
        (42, 2, "42.00"),
        (10**30, None, "1000000000000000000000000000000"),
        (1e20, 2, "100000000000000000000.00"),
        (1e16, None, "10000000000000000"),
        (1.5e300, 0, "15" + "0" * 299),
        (1e-07, 6, "0.000000"),
        (5e-07, 6, "0.000001"),
        (1.23e-05, 6, "0.000012"),
        (1234.5, 2, "1234.50"),
        (1234567.891, 2, "1234567.89"),
        (D("1E+3"), 2, "1000.00"),
        (D("0.00001234"), 4, "0.0000"),
        (np.float64(2.675), 2, "2.68"),
        (np.int64(12), None, "12"),
        (np.int64(12), 6, "12.000000"),
    ],
)
def test_format_number(value: object, places: int | None, expected: str) -> None:
    assert format_number(value, places) == expected


def test_format_number_rejects_text() -> None:
    with pytest.raises(TypeError):
        format_number("1.5", 2)


@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from([0, 2, 4, 6]))
def test_format_number_float_matches_oracle(x: float, places: int) -> None:
    text = format_number(x, places)
    assert text == oracle_fixed(repr(x), places)
    assert "e" not in text.lower() and "," not in text
    assert not text.startswith("-0") or text.strip("-0.") != ""


@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**15), max_value=10**15),
    st.sampled_from([None, 0, 2, 4, 6]),
)
def test_format_number_decimal_matches_oracle(d: Decimal, places: int | None) -> None:
    assert format_number(d, places) == oracle_fixed(str(d), places or 0)


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ("month", None),
        ("rank", None),
        ("n_paths", None),
        ("revenue_eur", 2),
        ("balance_check_eur", 2),
        ("margin_pct", 4),
        ("pass_rate_pct", 4),
        ("tokens", 6),
        ("dscr", 6),
        ("cost_eur_per_1M", 6),
        ("provider_eur_hr_med", 6),
        ("management_fee_eur_per_month", 6),
    ],
)
def test_decimals_for_column(column: str, expected: int | None) -> None:
    assert decimals_for_column(column) == expected


def test_int_columns_are_the_out4_list() -> None:
    assert len(INT_COLUMNS) == 19
    assert "tokens" not in INT_COLUMNS
    assert sorted(PACKS_INT_COLUMNS - INT_COLUMNS) == ["tokens"]
    assert decimals_for_column("tokens", PACKS_INT_COLUMNS) is None


def test_format_cell() -> None:
    assert format_cell("revenue_eur", 1234.5) == "1234.50"
    assert format_cell("util_pct", 12.345678) == "12.3457"
    assert format_cell("month", 3) == "3"
    assert format_cell("instances", 2.5) == "3"  # a percentile row's int column
    assert format_cell("tps", 1e-7) == "0.000000"
    assert format_cell("tokens", 1234.0) == "1234.000000"
    assert format_cell("tokens", 1234.0, PACKS_INT_COLUMNS) == "1234"
    assert format_cell("model", "a,b") == "a,b"  # quoting is csv_field's job
    assert format_cell("chosen", True) == "true"
    assert format_cell("dscr", None) == ""


def test_places_for_unit() -> None:
    assert [places_for_unit(u) for u in ("EUR", "percent", "ratio", "count", "EUR_per_1k")] == [2, 4, 6, 6, 6]


# ---------------------------------------------------------------------------------------------------
# CSV


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("", ""),
        ("a,b", '"a,b"'),
        ('say "hi"', '"say ""hi"""'),
        ("line\nbreak", '"line\nbreak"'),
        ("cr\rhere", '"cr\rhere"'),
        (" spaced ", " spaced "),
        ("été", "été"),
    ],
)
def test_csv_field(text: str, expected: str) -> None:
    assert csv_field(text) == expected


def test_write_csv_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    header = ["series", "month", "revenue_eur", "util_pct", "dscr", "note", "chosen"]
    rows = [
        ("p10", 1, 2.675, -0.0, None, 'a "b", c', True),
        ("rep", 12, D("1234567.005"), 33.33335, math.inf, "ünï", False),
    ]
    write_csv(path, header, rows)
    assert (
        path.read_bytes()
        == (
            "series,month,revenue_eur,util_pct,dscr,note,chosen\n"
            'p10,1,2.68,0.0000,,"a ""b"", c",true\n'
            "rep,12,1234567.01,33.3334,inf,ünï,false\n"
        ).encode()
    )


def test_write_csv_column_places(tmp_path: Path) -> None:
    path = tmp_path / "consolidated_kpis.csv"

    def by_unit(row: object) -> int:
        assert isinstance(row, tuple)
        return places_for_unit(str(row[1]))

    rows = [("revenue_total", "EUR", 1.005, 2.0), ("gross_margin_pct", "percent", 12.34565, None)]
    rows += [("dscr_min", "ratio", 1.2345675, 3)]
    write_csv(path, ["metric", "unit", "p50", "rep"], rows, column_places={"p50": by_unit, "rep": by_unit})
    assert path.read_text(encoding="utf-8").splitlines() == [
        "metric,unit,p50,rep",
        "revenue_total,EUR,1.01,2.00",
        "gross_margin_pct,percent,12.3457,",
        "dscr_min,ratio,1.234568,3.000000",
    ]
    write_csv(path, ["a", "b"], [(1.25, 1.25)], column_places={"a": None, "b": 1})
    assert path.read_text(encoding="utf-8") == "a,b\n1,1.3\n"


def test_write_csv_rejects_ragged_rows(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="row 1"):
        write_csv(tmp_path / "bad.csv", ["a", "b"], [(1,)])


def test_write_csv_header_only(tmp_path: Path) -> None:
    write_csv(tmp_path / "e.csv", ["a", "b_eur"], [])
    assert (tmp_path / "e.csv").read_bytes() == b"a,b_eur\n"


# ---------------------------------------------------------------------------------------------------
# draw_value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("60"), "60"),
        (D("100"), "100"),
        (D("1E+2"), "100"),
        (D("0.5"), "0.5"),
        (D("0.50"), "0.5"),
        (D("-0.0"), "0"),
        (D("0E-6"), "0"),
        (D("1.23E-7"), "0.000000123"),
        (D("-12.3400"), "-12.34"),
        (D("12345678901234567890123456789012.5"), "12345678901234567890123456789012.5"),
        (7, "7"),
        ("H100-80GB", "H100-80GB"),
        ("0.50", "0.50"),
    ],
)
def test_draw_value_text(value: Decimal | int | str, expected: str) -> None:
    assert draw_value_text(value) == expected


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**20), max_value=10**20))
def test_draw_value_text_is_plain_normalized_value(d: Decimal) -> None:
    text = draw_value_text(d)
    assert D(text) == d
    assert "e" not in text.lower() and text != "-0"
    assert "." not in text or not text.endswith(("0", "."))
    if len(d.as_tuple().digits) <= 28:  # normalize() rounds to the context precision beyond that
        plain = format(d.normalize(), "f")
        assert text == ("0" if plain == "-0" else plain)


def test_draw_value_text_rejects_float() -> None:
    with pytest.raises(TypeError):
        draw_value_text(0.5)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------
# JSON


def test_dumps_json_nearest_suffix_precision() -> None:
    obj = {"a_eur": {"p10": 1.5, "x": [1.0, 2]}, "ratio": 0.1234567, "b_pct": 3}
    assert dumps_json(obj) == (
        "{\n"
        '  "a_eur": {\n'
        '    "p10": 1.50,\n'
        '    "x": [\n'
        "      1.00,\n"
        "      2\n"
        "    ]\n"
        "  },\n"
        '  "b_pct": 3,\n'
        '  "ratio": 0.123457\n'
        "}\n"
    )


def test_dumps_json_precision_chain() -> None:
    obj = {
        "total": {"revenue_eur": {"p50": 1234.5, "rep": D("-0.001")}, "dscr_min": {"p50": 1.2345675}},
        "autoscaling": {"avg_util_pct": 55.555555, "sla_violations": 3},
        "spend_eur": {"public": {"label_pct": {"v": 0.123456}, "label": 2.675}},
        "blended_sell_eur_per_1k": 0.00123456789,
    }
    parsed_text = dumps_json(obj)
    assert '"p50": 1234.50' in parsed_text
    assert '"rep": 0.00' in parsed_text  # negative zero loses its sign
    assert '"p50": 1.234568' in parsed_text
    assert '"avg_util_pct": 55.5556' in parsed_text
    assert '"sla_violations": 3' in parsed_text
    assert '"v": 0.1235' in parsed_text  # nearest suffix wins over the outer _eur
    assert '"label": 2.68' in parsed_text
    assert '"blended_sell_eur_per_1k": 0.001235' in parsed_text  # `_per_1k` is not a suffix


def test_dumps_json_scalars_and_containers() -> None:
    obj: dict[str, object] = {
        "z": None,
        "b": True,
        "f": False,
        "nan": math.nan,
        "inf_eur": math.inf,
        "dnan": D("NaN"),
        "big": 1e20,
        "tiny": 1e-7,
        "s": 'é "q"\n',
        "empty_list": [],
        "empty_obj": {},
        "tuple": (1, 2.5),
        "npint": np.int64(5),
        "npf": np.float64(0.5),
    }
    text = dumps_json(obj)
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert json.loads(text) == {
        "z": None,
        "b": True,
        "f": False,
        "nan": None,
        "inf_eur": None,
        "dnan": None,
        "big": 1e20,
        "tiny": 0.0,
        "s": 'é "q"\n',
        "empty_list": [],
        "empty_obj": {},
        "tuple": [1, 2.5],
        "npint": 5,
        "npf": 0.5,
    }
    assert '"big": 100000000000000000000.000000' in text
    assert '"tiny": 0.000000' in text
    assert '"s": "é \\"q\\"\\n"' in text
    assert '"empty_list": []' in text and '"empty_obj": {}' in text
    assert '"npint": 5,' in text
    assert list(json.loads(text)) == sorted(obj)
    assert dumps_json([]) == "[]\n" and dumps_json(1.5) == "1.500000\n" and dumps_json(3) == "3\n"


def test_dumps_json_matches_stdlib_layout() -> None:
    obj = {"b": [1, {"c": "x", "a": [[], {}]}], "a": {"k": None, "d": [True, "y"]}, "é": 1, "Z": "ü"}
    assert dumps_json(obj) == json.dumps(obj, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_dumps_json_rejects_bad_input() -> None:
    with pytest.raises(TypeError):
        dumps_json({1: "x"})
    with pytest.raises(TypeError):
        dumps_json({"a": object()})


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
json_tree = st.recursive(
    json_leaf,
    lambda kids: st.one_of(
        st.lists(kids, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b_eur", "c_pct", "p50", "rep", "x_eur_per_1k"]), kids, max_size=4),
    ),
    max_leaves=12,
)


def _check_tree(node: object, text_node: object, places: int) -> None:
    if isinstance(node, dict):
        assert isinstance(text_node, dict) and list(text_node) == sorted(node)
        for k, v in node.items():
            child = 2 if k.endswith("_eur") else 4 if k.endswith("_pct") else places
            _check_tree(v, text_node[k], child)
    elif isinstance(node, list):
        assert isinstance(text_node, list) and len(text_node) == len(node)
        for v, t in zip(node, text_node, strict=True):
            _check_tree(v, t, places)
    elif isinstance(node, float):
        assert isinstance(text_node, Decimal)
        assert str(text_node) == oracle_fixed(repr(node), places)
    elif isinstance(node, bool) or node is None or isinstance(node, str):
        assert text_node == node
    else:
        assert isinstance(text_node, int) and text_node == node


@given(json_tree)
def test_dumps_json_property(tree: object) -> None:
    text = dumps_json(tree)
    assert text.endswith("\n") and "e+" not in text.replace('"', "")
    parsed = json.loads(text, parse_float=Decimal)
    _check_tree(tree, parsed, 6)


# ---------------------------------------------------------------------------------------------------
# OUT-8 SHA256SUMS


def test_write_sha256sums(tmp_path: Path) -> None:
    files = {
        "b.csv": b"b\n",
        "B.csv": b"B\n",
        "charts.md": b"md",
        "charts/revenue_by_month.png": b"\x89PNG",
        "charts/a b.png": b"space",
        "z/é.txt": "é".encode(),
        "zz.txt": b"",
        ".hidden": b"h",
        "run.duckdb": b"db",
        "run.duckdb.wal": b"wal",
        ".d3-run": b"",
        "SHA256SUMS": b"old",
        "skip.me": b"x",
    }
    for rel, data in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    write_sha256sums(tmp_path, exclude={"skip.me"})
    text = (tmp_path / "SHA256SUMS").read_bytes().decode("utf-8")
    listed = [line.split("  ", 1)[1] for line in text.splitlines()]
    assert listed == [
        ".hidden",
        "B.csv",
        "b.csv",
        "charts.md",  # '.' (0x2E) sorts before '/' (0x2F)
        "charts/a b.png",
        "charts/revenue_by_month.png",
        "z/é.txt",
        "zz.txt",
    ]
    assert text.endswith("\n") and "\r" not in text
    for line in text.splitlines():
        digest, rel = line.split("  ", 1)
        assert len(digest) == 64 and digest == digest.lower()
        assert digest == hashlib.sha256(files[rel]).hexdigest() == sha256_file(tmp_path / rel)


def test_sha256_file_large(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10_000
    (tmp_path / "big.bin").write_bytes(data)
    assert sha256_file(tmp_path / "big.bin") == hashlib.sha256(data).hexdigest()


# ---------------------------------------------------------------------------------------------------
# GEN-5 percentiles in Python


def test_percentile_examples() -> None:
    xs = [D(4), D(1), D(3), D(2)]
    assert percentile_exact(xs, 50) == D("2.5")
    assert percentile_exact(xs, 0) == D(1)
    assert percentile_exact(xs, 100) == D(4)
    assert percentile_exact(xs, 10) == D("1.3")  # h = 0.3
    assert percentile_exact(xs, 90) == D("3.7")
    assert percentile_exact([D("1.000001"), D("1.000002")], 33) == D("1.00000133")
    assert percentile_exact([D(7)], 90) == D(7)
    assert percentile_exact([None, D(7), None], 10) == D(7)
    assert percentile_exact([], 50) is None
    assert percentile_exact([None], 50) is None
    assert percentile_exact([1, 2, 2, 2, 10], 90) == D("6.8")
    assert percentile_float([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile_float([0.1, 0.2], 10) == 0.1 + (10 / 100) * (0.2 - 0.1)
    assert percentile_float([None, 3.0], 95) == 3.0
    assert percentile_float([None], 95) is None


@pytest.mark.parametrize("p", [-1, 101, 50.0, True])
def test_percentile_rejects_bad_p(p: object) -> None:
    with pytest.raises(ValueError):
        percentile_exact([D(1)], p)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        percentile_float([1.0], p)  # type: ignore[arg-type]


def test_percentile_exact_rejects_float() -> None:
    with pytest.raises(TypeError):
        percentile_exact([0.1, D(1)], 50)  # type: ignore[list-item]


@given(
    st.lists(st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False, places=6)), max_size=30),
    st.integers(0, 100),
)
def test_percentile_exact_matches_rational_oracle(values: list[Decimal | None], p: int) -> None:
    present = [Fraction(v) for v in values if v is not None]
    got = percentile_exact(values, p)
    if not present:
        assert got is None
    else:
        assert got is not None and Fraction(got) == oracle_percentile(present, p)
        assert -int(got.as_tuple().exponent) <= 8  # at most two more decimals than the values


# ---------------------------------------------------------------------------------------------------
# SQL macros


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(MACROS), undefined=jinja2.StrictUndefined)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    yield c
    c.close()


@cache  # the property tests render the same few texts at each of their examples
def render(env: jinja2.Environment, text: str) -> str:
    """The macros expanded in text."""
    prelude = "{% from 'dec.sql' import dec %}{% from 'pctl.sql' import pctl %}"
    return env.from_string(prelude + text).render()


def sql_dec(env: jinja2.Environment, con: duckdb.DuckDBPyConnection, xs: list[float]) -> list[Decimal]:
    sql = render(env, "SELECT {{ dec('x') }} FROM unnest($xs::DOUBLE[]) WITH ORDINALITY AS u(x, k) ORDER BY k")
    return [row[0] for row in con.execute(sql, {"xs": xs}).fetchall()]


def test_macro_files_define_one_macro_named_like_the_file(env: jinja2.Environment) -> None:
    for path in sorted(MACROS.glob("*.sql")):
        module = env.get_template(path.name).module
        names = [n for n in dir(module) if not n.startswith("_")]
        assert names == [path.stem], path.name
        assert env.get_template(path.name).render().strip() == "", "a macro file must render nothing"


def test_dec_macro_tricky_values(env: jinja2.Environment, con: duckdb.DuckDBPyConnection) -> None:
    xs = [v for v, _ in TRICKY_DEC if abs(v) < 1e12]
    assert sql_dec(env, con, xs) == [dec(v) for v in xs]
    assert [str(d) for d in sql_dec(env, con, xs)] == [e for v, e in TRICKY_DEC if abs(v) < 1e12]
    sql = render(env, "SELECT {{ dec('NULL') }}, typeof({{ dec('1') }}), {{ dec('2.675') }}, {{ dec('x') }} FROM t")
    con.execute("CREATE OR REPLACE TEMP TABLE t AS SELECT 7::BIGINT AS x")
    assert con.execute(sql).fetchall() == [(None, "DECIMAL(18,6)", D("2.675000"), D("7.000000"))]


half_way = st.builds(
    lambda n, k, s: float(D(n * 10 + 5).scaleb(-7 - k) * s),
    st.integers(0, 10**9),
    st.integers(0, 6),
    st.sampled_from([1, -1]),
)
sql_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-999_999_999_999.0, max_value=999_999_999_999.0),
    half_way,
)


@SQL_SETTINGS
@given(st.lists(sql_floats, min_size=1, max_size=40))
def test_dec_macro_matches_python(env: jinja2.Environment, con: duckdb.DuckDBPyConnection, xs: list[float]) -> None:
    assert sql_dec(env, con, xs) == [dec(x) for x in xs]


def test_duckdb_decimal_behaviour_that_dec_relies_on(con: duckdb.DuckDBPyConnection) -> None:
    """Pins DuckDB facts behind dec.sql; if one changes, revisit the macro."""

    def one(sql: str) -> object:
        return con.execute(sql).fetchone()[0]  # type: ignore[index]

    # DOUBLE → VARCHAR is shortest round-trip text, possibly with an exponent
    assert one("SELECT CAST(5e-07::DOUBLE AS VARCHAR)") == "5e-07"
    assert one("SELECT CAST(123456789.123456789::DOUBLE AS VARCHAR)") == "123456789.12345679"
    # VARCHAR → DECIMAL parses exponents and rounds half away from zero in one step
    assert one("SELECT CAST('1e-07' AS DECIMAL(38,10))") == D("0.0000001")
    assert one("SELECT CAST('2.5e-06' AS DECIMAL(18,6))") == D("0.000003")
    assert one("SELECT CAST('-0.0000005' AS DECIMAL(18,6))") == D("-0.000001")
    assert one("SELECT CAST('1.4999999999999998e-06' AS DECIMAL(18,6))") == D("0.000001")
    # ROUND on DECIMAL and DECIMAL → narrower DECIMAL are half away from zero …
    assert one("SELECT ROUND(CAST('-0.125' AS DECIMAL(10,3)), 2)") == D("-0.13")
    assert one("SELECT CAST(CAST('0.125' AS DECIMAL(10,3)) AS DECIMAL(10,2))") == D("0.13")
    # … but a wider intermediate DECIMAL rounds twice (why dec.sql casts the text straight to (18,6))
    assert one("SELECT ROUND(CAST('1.4999999999999998e-06' AS DECIMAL(38,12)), 6)") == D("0.000002")
    # and DOUBLE → DECIMAL directly is not DEC()
    assert one("SELECT CAST(509397150950.236::DOUBLE AS DECIMAL(18,6))") != D("509397150950.236")
    # DECIMAL / integer × DECIMAL stays DECIMAL; DOUBLE × DECIMAL is DOUBLE (pctl.sql relies on both)
    assert one("SELECT typeof(1::DECIMAL(18,6) * 0.25::DECIMAL(38,2))") == "DECIMAL(38,8)"
    assert one("SELECT typeof(1::BIGINT * 0.25::DECIMAL(38,2))") == "DECIMAL(38,2)"
    assert one("SELECT typeof(1::DOUBLE * 0.25::DECIMAL(38,2))") == "DOUBLE"
    # trap: two DECIMALs of width ≤ 18 multiply in DECIMAL(18, s1+s2) and overflow instead of widening
    assert one("SELECT typeof(1::DECIMAL(18,6) * 0.25::DECIMAL(5,2))") == "DECIMAL(18,8)"
    with pytest.raises(duckdb.OutOfRangeException):
        one("SELECT CAST(20000000000 AS DECIMAL(18,6)) * CAST(0.99 AS DECIMAL(5,2))")
    assert one("SELECT CAST(20000000000 AS DECIMAL(38,6)) * CAST(0.99 AS DECIMAL(5,2))") == D("19800000000")


def test_duckdb_decimal_to_double_fraction_is_correctly_rounded(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        "WITH f AS (SELECT r, CAST(CAST(r AS DECIMAL(2,0)) * CAST('0.01' AS DECIMAL(3,2)) AS DECIMAL(38,2))"
        " AS f FROM range(100) t(r)) SELECT r, CAST(f AS DOUBLE), 1.0::DOUBLE * f FROM f"
    ).fetchall()
    assert all(f == g == r / 100 for r, f, g in rows)


def run_pctl(
    env: jinja2.Environment,
    con: duckdb.DuckDBPyConnection,
    sql_type: str,
    rows: Sequence[tuple[int | None, object]],
    keys: list[str],
) -> dict[tuple[object, ...], object]:
    con.execute(f"CREATE OR REPLACE TEMP TABLE src (g INTEGER, v {sql_type})")
    if rows:  # one statement, each value bound as executemany would bind it (a row per statement is ~6× slower)
        con.execute("INSERT INTO src VALUES " + ", ".join(["(?, ?)"] * len(rows)), [v for row in rows for v in row])
    keys_sql = json.dumps(keys)
    sql = render(env, "{{ pctl('src', " + keys_sql + ", 'v', " + json.dumps(PERCENTILES) + ") }}")
    out = con.execute(sql).fetchall()
    result = {tuple(r[:-1]): r[-1] for r in out}
    assert len(result) == len(out), "one row per group and percentile"
    return result


def expected_pctl(
    rows: Sequence[tuple[int | None, object]], keys: list[str], fn: object
) -> dict[tuple[object, ...], object]:
    groups: dict[tuple[object, ...], list[object]] = {}
    for g, v in rows:
        groups.setdefault((g,) if keys else (), []).append(v)
    if not keys:
        groups.setdefault((), [])
    assert callable(fn)
    return {(*k, p): fn(vs, p) for k, vs in groups.items() for p in PERCENTILES}


group_ids = st.one_of(st.none(), st.integers(0, 3))
dec_values = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**11), max_value=10**11, places=6, allow_nan=False, allow_infinity=False),
    st.sampled_from([D("0.000001"), D("-0.000001"), D(0), D("1.5")]),
)
float_values = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e150, max_value=1e150),
    st.sampled_from([0.0, -0.0, 0.1, 0.2, 0.7, 1e-300, 5e-324]),
)


@SQL_SETTINGS
@given(st.lists(st.tuples(group_ids, dec_values), max_size=40), st.booleans())
def test_pctl_macro_decimal_matches_python(
    env: jinja2.Environment,
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[int | None, Decimal | None]],
    grouped: bool,
) -> None:
    keys = ["g"] if grouped else []
    got = run_pctl(env, con, "DECIMAL(18,6)", rows, keys)
    assert got == expected_pctl(rows, keys, percentile_exact)


@SQL_SETTINGS
@given(st.lists(st.tuples(group_ids, float_values), max_size=40), st.booleans())
def test_pctl_macro_double_matches_python(
    env: jinja2.Environment,
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[int | None, float | None]],
    grouped: bool,
) -> None:
    keys = ["g"] if grouped else []
    got = run_pctl(env, con, "DOUBLE", rows, keys)
    want = expected_pctl(rows, keys, percentile_float)
    assert got.keys() == want.keys()
    for k, w in want.items():
        g = got[k]
        assert (g is None and w is None) or (isinstance(g, float) and g == w), (k, g, w)


@SQL_SETTINGS
@given(st.lists(st.tuples(group_ids, st.one_of(st.none(), st.integers(-(10**12), 10**12))), max_size=40))
def test_pctl_macro_bigint_is_exact(
    env: jinja2.Environment, con: duckdb.DuckDBPyConnection, rows: list[tuple[int | None, int | None]]
) -> None:
    got = run_pctl(env, con, "BIGINT", rows, ["g"])
    assert got == expected_pctl(rows, ["g"], percentile_exact)


def test_pctl_macro_edge_cases(env: jinja2.Environment, con: duckdb.DuckDBPyConnection) -> None:
    rows: list[tuple[int | None, object]] = [
        (1, D("2.5")),
        (2, None),
        (2, None),
        (3, D(1)),
        (3, D(1)),
        (3, D(4)),
    ]
    got = run_pctl(env, con, "DECIMAL(18,6)", rows, ["g"])
    assert got[(1, 50)] == D("2.5") and got[(1, 0)] == D("2.5")  # n = 1
    assert got[(2, 50)] is None  # only nulls
    assert got[(3, 50)] == D(1) and got[(3, 90)] == D("3.4")  # duplicates
    assert run_pctl(env, con, "DECIMAL(18,6)", [], ["g"]) == {}
    assert run_pctl(env, con, "DECIMAL(18,6)", [], []) == {(p,): None for p in PERCENTILES}
    typed = con.execute("DESCRIBE (" + render(env, "{{ pctl('src', ['g'], 'v', [50]) }}") + ")").fetchall()
    assert [(r[0], r[1]) for r in typed] == [("g", "INTEGER"), ("p", "INTEGER"), ("value", "DECIMAL(38,8)")]


def test_pctl_macro_composes(env: jinja2.Environment, con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        "CREATE OR REPLACE TEMP TABLE m AS SELECT * FROM (VALUES (1, 2, 10.0), (1, 2, 20.0), (1, 3, 5.0)) t(a, b, x)"
    )
    sql = render(
        env,
        "WITH q AS ({{ pctl('(SELECT a, b, x FROM m) AS s', ['a', 'b'], 'x * 2', [50, 90], "
        "p_col='pct', value_out='v2') }}) SELECT * FROM q ORDER BY a, b, pct",
    )
    assert con.execute(sql).fetchall() == [
        (1, 2, 50, D("30.000")),
        (1, 2, 90, D("38.000")),
        (1, 3, 50, D("10.000")),
        (1, 3, 90, D("10.000")),
    ]


@pytest.mark.parametrize("bad", ["[101]", "[-1]", "[50.5]", "[true]"])
def test_pctl_macro_rejects_bad_percentiles(env: jinja2.Environment, bad: str) -> None:
    with pytest.raises(jinja2.UndefinedError):
        render(env, "{{ pctl('src', [], 'v', " + bad + ") }}")


@pytest.mark.parametrize("sql_type", ["DECIMAL(16,6)", "DECIMAL(18,6)", "DECIMAL(18,2)"])
def test_pctl_macro_does_not_overflow_narrow_decimals(
    env: jinja2.Environment, con: duckdb.DuckDBPyConnection, sql_type: str
) -> None:
    top = D(10) ** (int(sql_type[8:10]) - int(sql_type[11])) - D(1).scaleb(-int(sql_type[11]))
    rows: list[tuple[int | None, object]] = [(1, -top), (1, top)]
    got = run_pctl(env, con, sql_type, rows, ["g"])
    assert got == expected_pctl(rows, ["g"], percentile_exact)


@pytest.mark.parametrize("size", [0, 1, 2, 3, 10, 1001, 50_000])
@pytest.mark.parametrize("p", [0, 10, 50, 90, 99, 100])
def test_numpy_percentiles_equal_the_python_ones(size: int, p: int) -> None:
    """The report's medians over every path (issue 13: 1 000 000 values) come from NumPy arrays; they are the
    very values of percentile_float / percentile_exact: ties, −0.0 next to 0.0, huge integers, a NaN."""
    rng = np.random.default_rng(size + p)
    floats = rng.standard_normal(size) * 1e3
    if size >= 3:
        floats[:: max(1, size // 5)] = 0.0
        floats[1 :: max(2, size // 4)] = -0.0
    got = percentile_float_of_array(floats, p)
    want = percentile_float(floats.tolist(), p)
    assert (got, math.copysign(1.0, got) if got is not None else None) == (
        want,
        math.copysign(1.0, want) if want is not None else None,
    )
    if size:
        with_nan = floats.copy()
        with_nan[0] = np.nan
        assert repr(percentile_float_of_array(with_nan, p)) == repr(percentile_float(with_nan.tolist(), p))
    integers = rng.integers(-(2**62), 2**62, size=size)
    integers[:: max(1, size // 3 or 1)] = 7
    assert percentile_exact_of_integers(integers, p) == percentile_exact([int(v) for v in integers], p)
    with pytest.raises(TypeError):
        percentile_exact_of_integers(floats, p)
