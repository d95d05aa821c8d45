"""[FIN-13] sensitivity on a tiny synthetic run: hand-computed Spearman rho, Q25/Q75 selection, means, swing.

Four parameter sets (M = 1, so path_id = param_set_id) and three used variables:

| path | repayment_type (discrete, index) | tokens (numeric) | net_income_h | cash_min | dscr_min |
|---|---|---|---|---|---|
| 0 | bullet (2) | 1 | 10 | 5 | null |
| 1 | annuity (0) | 2 | 20 | 5 | 1.5 |
| 2 | linear (1) | 4 | 30 | 5 | 0.5 |
| 3 | bullet (2) | 8 | 40 | 5 | 2.5 |

`fixed_one` is fixed and gets no row. Ranks are average ranks; d = 2·rank − (n + 1).
"""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pytest

from d3_engine.core.formats import percentile_exact
from d3_engine.models.python import sensitivity

LEVELS = [("general", "repayment_type", v, i) for i, v in enumerate(["annuity", "linear", "bullet"])]
PARAMS = [
    # param_set_id, scope, variable_id, path, treatment, value_text
    *[
        (s, "general", "repayment_type", "loan.repayment_type", "random", v)
        for s, v in enumerate(["bullet", "annuity", "linear", "bullet"])
    ],
    *[
        (s, "public_tap", "tokens", "acquisition.tokens_per_conversion_mean", "random", v)
        for s, v in enumerate(["1", "2", "4", "8"])
    ],
    *[(s, "private_tap", "fixed_one", "acquisition.churn_pct_mom", "fixed", "3") for s in range(4)],
]
KPIS = [(0, "10", "5", None), (1, "20", "5", "1.5"), (2, "30", "5", "0.5"), (3, "40", "5", "2.5")]


def synthetic(
    params: list[tuple[object, ...]] = PARAMS, levels: list[tuple[str, str, str, int]] = LEVELS
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE variable_levels (scope VARCHAR, variable_id VARCHAR, value_text VARCHAR, level BIGINT)")
    for level in levels:
        con.execute("INSERT INTO variable_levels VALUES (?, ?, ?, ?)", list(level))
    con.execute(
        """CREATE TABLE params (param_set_id BIGINT, grid_index BIGINT, replicate_index BIGINT, scope VARCHAR,
           variable_id VARCHAR, path VARCHAR, treatment VARCHAR, value_text VARCHAR, value_num DOUBLE)"""
    )
    for s, scope, vid, path, treatment, text in params:
        num = None if vid == "repayment_type" else float(str(text))
        con.execute(
            "INSERT INTO params VALUES (?, 0, ?, ?, ?, ?, ?, ?, ?)", [s, s, scope, vid, path, treatment, text, num]
        )
    con.execute(
        """CREATE TABLE finance_path_kpis (path_id BIGINT, param_set_id BIGINT, net_income_h_eur DECIMAL(18,6),
           cash_min_eur DECIMAL(18,6), dscr_min DECIMAL(18,6))"""
    )
    for p, net, cash, dscr in KPIS:
        con.execute(
            "INSERT INTO finance_path_kpis VALUES (?, ?, CAST(? AS DECIMAL(18,6)), ?, ?)", [p, p, net, cash, dscr]
        )
    return con


@pytest.fixture(scope="module")
def rows() -> dict[tuple[str, str], list[object]]:
    out = sensitivity.sensitivity_rows(synthetic())
    return {(r[0], r[4]): r for r in out}


def test_one_row_per_non_fixed_variable_and_kpi_in_file_order() -> None:
    """scope_id order (general, public_tap), then KPIs in [FIN-13] order; the fixed variable has no row."""
    got = [(r[1], r[0], r[4]) for r in sensitivity.sensitivity_rows(synthetic())]
    assert got == [
        ("general", "repayment_type", "net_income_eur"),
        ("general", "repayment_type", "cash_min_eur"),
        ("general", "repayment_type", "dscr_min"),
        ("public_tap", "tokens", "net_income_eur"),
        ("public_tap", "tokens", "cash_min_eur"),
        ("public_tap", "tokens", "dscr_min"),
    ]


def test_numeric_variable_against_net_income(rows: dict[tuple[str, str], list[object]]) -> None:
    """Ranks agree exactly → rho 1. Q25 of [1, 2, 4, 8] = 1 + 0.75·1 = 1.75, Q75 = 4 + 0.25·4 = 5
    ([GEN-5]); low = mean{10} = 10, high = mean{40} = 40, swing 30."""
    row = rows[("tokens", "net_income_eur")]
    assert row[2:6] == ["acquisition.tokens_per_conversion_mean", "random", "net_income_eur", 4]
    assert row[6] == 1.0
    assert row[7:] == [Decimal("10.000000"), Decimal("40.000000"), Decimal("30.000000")]
    assert percentile_exact([1, 2, 4, 8], 25) == Decimal("1.75")
    assert percentile_exact([1, 2, 4, 8], 75) == Decimal("5")


def test_null_kpi_paths_drop_out(rows: dict[tuple[str, str], list[object]]) -> None:
    """dscr_min is null on path 0, so n_paths = 3 over values [2, 4, 8] (ranks 1, 2, 3) and dscr
    [1.5, 0.5, 2.5] (ranks 2, 1, 3): d_x = (−2, 0, 2), d_y = (0, −2, 2), rho = 4 / √(8·8) = 0.5.
    Q25 = 2 + 0.5·2 = 3 → {2} → 1.5; Q75 = 4 + 0.5·4 = 6 → {8} → 2.5; swing 1."""
    row = rows[("tokens", "dscr_min")]
    assert row[5] == 3
    assert row[6] == 0.5
    assert row[7:] == [Decimal("1.500000"), Decimal("2.500000"), Decimal("1.000000")]


def test_constant_kpi_has_no_rho_but_means(rows: dict[tuple[str, str], list[object]]) -> None:
    """cash_min is 5 on every path: S_yy = 0 → rho null; both means 5, swing 0."""
    row = rows[("tokens", "cash_min_eur")]
    assert row[5] == 4 and row[6] is None
    assert row[7:] == [Decimal("5.000000"), Decimal("5.000000"), Decimal("0.000000")]


def test_discrete_variable_uses_the_index_in_values(rows: dict[tuple[str, str], list[object]]) -> None:
    """Indices (2, 0, 1, 2) → average ranks (3.5, 1, 2, 3.5), d_x = (2, −3, −1, 2); net income ranks 1..4,
    d_y = (−3, −1, 1, 3): S_xy = −6 + 3 − 1 + 6 = 2, S_xx = 18, S_yy = 20, rho = 2/√360 = 0.105409….
    (Text order annuity < bullet < linear would give S_xy = 6.) Q25 of [0, 1, 2, 2] = 0.75 → {path 1} →
    20; Q75 = 2 → paths 0 and 3 → (10 + 40)/2 = 25; swing 5."""
    row = rows[("repayment_type", "net_income_eur")]
    assert row[6] == 2 / math.sqrt(360)
    assert row[6] == pytest.approx(0.1054092553)
    assert row[7:] == [Decimal("20.000000"), Decimal("25.000000"), Decimal("5.000000")]


def test_rho_is_the_float64_of_the_exact_rank_sums() -> None:
    assert sensitivity.spearman_rho(2, 18, 20) == 2 / math.sqrt(360)
    assert sensitivity.spearman_rho(-20, 20, 20) == -1.0
    assert sensitivity.spearman_rho(0, 0, 20) is None
    assert sensitivity.spearman_rho(None, None, None) is None


@pytest.mark.parametrize(
    ("total", "count", "mean"),
    [
        ("-0.000001", 2, "-0.000001"),  # −0.0000005: half away from zero
        ("0.000001", 2, "0.000001"),
        ("0.000001", 3, "0.000000"),
        ("1.000001", 3, "0.333334"),  # 0.333333667
        ("-1.000001", 3, "-0.333334"),
        ("20.000000", 1, "20.000000"),
    ],
)
def test_means_are_exact_quotients_rounded_once(total: str, count: int, mean: str) -> None:
    assert sensitivity.mean_6(Decimal(total), count) == Decimal(mean)


def test_mean_of_nothing_is_null() -> None:
    assert sensitivity.mean_6(None, 0) is None


def test_no_non_fixed_variable_gives_no_rows() -> None:
    only_fixed = [p for p in PARAMS if p[2] == "fixed_one"]
    assert sensitivity.sensitivity_rows(synthetic(only_fixed, [])) == []


def test_a_discrete_value_without_index_is_an_engine_error() -> None:
    with pytest.raises(duckdb.Error, match="has no index"):
        sensitivity.sensitivity_rows(synthetic(levels=LEVELS[:2]))


def _pathwise(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], tuple[object, ...]]:
    """[FIN-13] path by path in Python, the reference of the query's per-parameter-set aggregation:
    (scope, variable, kpi) → (n_paths, S_xy, S_xx, S_yy, low_sum, low_n, high_sum, high_n)."""
    levels = {(s, v, t): lvl for s, v, t, lvl in con.execute("SELECT * FROM variable_levels").fetchall()}
    chosen = con.execute(
        "SELECT param_set_id, scope, variable_id, value_text FROM params WHERE treatment <> 'fixed'"
    ).fetchall()
    values: dict[tuple[str, str], dict[int, Decimal]] = {}
    for s, scope, vid, text in chosen:
        discrete = any(key[:2] == (scope, vid) for key in levels)
        values.setdefault((scope, vid), {})[s] = Decimal(levels[(scope, vid, text)]) if discrete else Decimal(text)
    kpis = con.execute(
        "SELECT param_set_id, net_income_h_eur, cash_min_eur, dscr_min FROM finance_path_kpis"
    ).fetchall()

    def deviations(xs: list[Decimal]) -> list[int]:  # d = 2·average rank − (n + 1), exact
        n = len(xs)
        return [2 * sum(1 for y in xs if y < x) + 2 + (sum(1 for y in xs if y == x) - 1) - (n + 1) for x in xs]

    out = {}
    for (scope, vid), by_set in values.items():
        for column, (name, _) in enumerate(sensitivity.KPIS, start=1):
            pairs = [(by_set[row[0]], row[column]) for row in kpis if row[column] is not None]
            xs, ks = [x for x, _ in pairs], [k for _, k in pairs]
            dx, dy = deviations(xs), deviations(ks)
            q25, q75 = percentile_exact(xs, 25), percentile_exact(xs, 75)
            low = [k for x, k in pairs if q25 is not None and x <= q25]
            high = [k for x, k in pairs if q75 is not None and x >= q75]
            out[(scope, vid, name)] = (
                len(pairs),
                *(sum(a * b for a, b in zip(u, v, strict=True)) for u, v in ((dx, dy), (dx, dx), (dy, dy))),
                sum(low) if low else None,
                len(low),
                sum(high) if high else None,
                len(high),
            )
    return out


@pytest.mark.parametrize("seed", range(12))
def test_the_per_set_query_is_the_path_by_path_computation(seed: int) -> None:
    """Random plans with several paths per parameter set, ties in values and KPIs, null KPIs and a discrete
    variable: the query's integer rank sums, counts and decimal sums equal the path-by-path reference."""
    import random

    rng = random.Random(seed)
    sets, per_set = rng.randint(1, 9), rng.randint(1, 5)
    texts = ["0.5", "1", "1.25", "2", "2", "7.125"]
    params = [
        (s, "general", "repayment_type", "loan.repayment_type", "random", rng.choice(["annuity", "linear", "bullet"]))
        for s in range(sets)
    ]
    params += [
        (s, "public_tap", "tokens", "acquisition.tokens_per_conversion_mean", "random", rng.choice(texts))
        for s in range(sets)
    ]
    con = synthetic(params)
    con.execute("DELETE FROM finance_path_kpis")
    for path in range(sets * per_set):
        kpi = [
            None if rng.random() < 0.15 else str(rng.choice([-3, 0, 1, 1, 2.5, 10, rng.randint(-50, 50)]))
            for _ in range(3)
        ]
        con.execute("INSERT INTO finance_path_kpis VALUES (?, ?, ?, ?, ?)", [path, path // per_set, *kpi])
    expected = _pathwise(con)
    got = {
        (scope, vid, kpi): (n, sxy, sxx, syy, low_sum, low_n or 0, high_sum, high_n or 0)
        for vid, scope, _, _, kpi, _, n, sxy, sxx, syy, low_sum, low_n, high_sum, high_n in con.execute(
            sensitivity.sensitivity_sql()
        ).fetchall()
    }
    for key, (n, *rest) in expected.items():
        if n == 0:
            assert got[key][0] == 0 and got[key][1:] == (None,) * 3 + (None, 0, None, 0), key
        else:
            assert got[key] == (n, *rest), key
