"""Unit tests for d3_engine.core.rng: [RNG-1] … [RNG-5] and the [RNG-8] test vectors."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from d3_engine.core.rng import (
    SCOPE_IDS,
    Lattice,
    VariableSpec,
    block_size,
    draw_variable,
    draw_variable_block,
    generator,
    h32,
    lattice,
    lognormal_factor,
    noise_block,
    noise_z,
    resolve_seed,
)

SEED = 424242
D = Decimal

# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------


def spec(
    distribution: str,
    lo: str = "0",
    hi: str = "10",
    step: str = "1",
    default: str = "5",
    variable_id: str = "v_test",
    scope: str = "public_tap",
    **params: str,
) -> VariableSpec:
    return VariableSpec(
        scope=scope,
        variable_id=variable_id,
        distribution=distribution,
        lo=D(lo),
        hi=D(hi),
        step=D(step),
        default=D(default),
        params={k: D(v) for k, v in params.items()},
    )


def nums(draws: list[Decimal | str]) -> list[Decimal]:
    """Narrow numeric draws to Decimal (and prove they are Decimal)."""
    assert all(isinstance(v, Decimal) for v in draws)
    return [v for v in draws if isinstance(v, Decimal)]


def discrete_spec(values: tuple[str, ...], variable_id: str = "d_test") -> VariableSpec:
    return VariableSpec(
        scope="general",
        variable_id=variable_id,
        distribution="discrete",
        lo=None,
        hi=None,
        step=None,
        default=values[0],
        params={},
        values=values,
    )


SHIPPED_LOGNORMAL = spec(
    "lognormal",
    lo="10000",
    hi="200000",
    step="1000",
    default="50000",
    variable_id="tokens_per_conv_mean",
    scope="public_tap",
    sd="15000",
)


# ---------------------------------------------------------------------------------------------------
# [RNG-8] Test vectors
# ---------------------------------------------------------------------------------------------------


def test_h32_vector() -> None:
    assert h32("tokens_per_conv_mean") == 1699182637


def test_scope_ids() -> None:
    assert SCOPE_IDS == {"general": 0, "public_tap": 1, "private_tap": 2}


def test_uniform_random_vector() -> None:
    u = generator(SEED, (1, 1, 1699182637, 0, 0)).random(50)
    assert u[:3].tolist() == [0.8986527812796866, 0.015354780011538338, 0.2460429868539189]


def test_standard_normal_variable_vector() -> None:
    z = generator(SEED, (1, 1, 1699182637, 0, 0)).standard_normal(50)
    assert z[:3].tolist() == [-0.5170848728293592, -0.19362238820945926, -1.9706615094008828]


def test_public_cac_noise_vector() -> None:
    z = noise_z(SEED, 1, 1, 0, 0, mc_count=2, horizon=3)
    assert z.shape == (3, 2)
    assert z[:, 0].tolist() == [0.172182039613044, -0.5130306281622289, -0.36584366581035305]
    assert z[:, 1].tolist() == [0.7673050888551358, 0.6508400701792426, -1.2936517427868652]
    # The same block straight from its key (2, 1, 1, 0, 0, 0).
    direct = generator(SEED, (2, 1, 1, 0, 0, 0)).standard_normal((3, 2))
    assert np.array_equal(z, direct)
    assert np.array_equal(noise_block(SEED, 1, 1, 0, 0, 0, 3, 2), direct)


def test_public_usage_noise_vector() -> None:
    z = noise_z(SEED, 1, 2, 0, 0, mc_count=2, horizon=3)
    assert z[:, 0].tolist() == [-0.2901751396149066, -0.5745912903424503, 0.30189428738909474]


def test_shipped_lognormal_vector() -> None:
    draws = draw_variable(SEED, SHIPPED_LOGNORMAL, grid_index=0, replicates=50)
    assert len(draws) == 50
    assert draws[:3] == [D("41000"), D("45000"), D("27000")]
    assert all(isinstance(v, Decimal) for v in draws)

    # The float x before snapping, recomputed by the [RNG-4] lognormal formula.
    z = generator(SEED, (1, 1, h32("tokens_per_conv_mean"), 0, 0)).standard_normal(50)
    sigma2 = math.log(1 + 15000.0**2 / 50000.0**2)
    mu = math.log(50000.0) - sigma2 / 2
    x = np.exp(mu + math.sqrt(sigma2) * z)
    assert [round(float(v), 4) for v in x[:3]] == [41146.4859, 45245.0963, 26854.3016]
    # Every snapped value is the nearest lattice point to its x (within the clamp range).
    for xi, vi in zip(x.tolist(), draws, strict=True):
        expected = min(max(math.floor((xi - 10000) / 1000 + 0.5), 0), 190)
        assert vi == D(10000) + expected * D(1000)


# ---------------------------------------------------------------------------------------------------
# [RNG-2] Blocks and independence from batching / horizon
# ---------------------------------------------------------------------------------------------------


def test_block_size() -> None:
    assert block_size(1) == 1
    assert block_size(50) == 50
    assert block_size(1024) == 1024
    assert block_size(1025) == 1024
    assert block_size(10**6) == 1024


def test_noise_month_t_independent_of_horizon() -> None:
    z3 = noise_z(SEED, 1, 1, 0, 0, mc_count=2, horizon=3)
    z5 = noise_z(SEED, 1, 1, 0, 0, mc_count=2, horizon=5)
    assert z5.shape == (5, 2)
    assert np.array_equal(z5[:3], z3)


def test_noise_multi_block_is_concatenation_of_whole_blocks() -> None:
    m, h = 2000, 4
    z = noise_z(SEED, 2, 2, 3, 7, mc_count=m, horizon=h)
    assert z.shape == (h, m)
    assert block_size(m) == 1024
    b0 = noise_block(SEED, 2, 2, 3, 7, 0, h, 1024)
    b1 = noise_block(SEED, 2, 2, 3, 7, 1, h, 1024)  # trailing partial block generated whole
    assert np.array_equal(z[:, :1024], b0)
    assert np.array_equal(z[:, 1024:], b1[:, : m - 1024])
    # Key layout (2, tap_id, kind_id, grid_index, replicate_index, mb).
    assert np.array_equal(b1, generator(SEED, (2, 2, 2, 3, 7, 1)).standard_normal((h, 1024)))


def test_noise_streams_differ_by_coordinate() -> None:
    base = noise_z(SEED, 1, 1, 0, 0, mc_count=8, horizon=3)
    for other in (
        noise_z(SEED, 2, 1, 0, 0, mc_count=8, horizon=3),  # tap
        noise_z(SEED, 1, 2, 0, 0, mc_count=8, horizon=3),  # kind
        noise_z(SEED, 1, 1, 1, 0, mc_count=8, horizon=3),  # grid point
        noise_z(SEED, 1, 1, 0, 1, mc_count=8, horizon=3),  # replicate
        noise_z(SEED + 1, 1, 1, 0, 0, mc_count=8, horizon=3),  # master seed
    ):
        assert not np.array_equal(base, other)
    assert np.array_equal(base, noise_z(SEED, 1, 1, 0, 0, mc_count=8, horizon=3))


def test_draw_variable_multi_block_is_concatenation() -> None:
    s = spec("uniform", lo="0", hi="1000", step="1")
    r = 1100
    assert block_size(r) == 1024
    draws = draw_variable(SEED, s, grid_index=2, replicates=r)
    assert len(draws) == r
    b0 = draw_variable_block(SEED, s, grid_index=2, rb=0, br=1024)
    b1 = draw_variable_block(SEED, s, grid_index=2, rb=1, br=1024)
    assert len(b0) == len(b1) == 1024
    assert draws == b0 + b1[: r - 1024]
    # Block 1 comes from key (1, scope_id, h32(id), grid_index, 1) with a call of size BR.
    u = generator(SEED, (1, 1, h32("v_test"), 2, 1)).random(1024)
    assert draws[1024:] == [D(min(1000, math.floor(x * 1001))) for x in u[: r - 1024].tolist()]


def test_draw_variable_deterministic_and_grid_dependent() -> None:
    s = spec("normal", lo="0", hi="100", step="0.5", default="50", sd="10")
    a = draw_variable(SEED, s, grid_index=0, replicates=200)
    assert a == draw_variable(SEED, s, grid_index=0, replicates=200)
    assert a != draw_variable(SEED, s, grid_index=1, replicates=200)
    assert a != draw_variable(SEED + 1, s, grid_index=0, replicates=200)


def test_draw_variable_zero_replicates() -> None:
    assert draw_variable(SEED, spec("uniform"), 0, 0) == []


def test_scope_enters_the_key() -> None:
    pub = spec("uniform", scope="public_tap", hi="1000")
    prv = spec("uniform", scope="private_tap", hi="1000")
    assert draw_variable(SEED, pub, 0, 50) != draw_variable(SEED, prv, 0, 50)
    u = generator(SEED, (1, 2, h32("v_test"), 0, 0)).random(50)
    assert draw_variable(SEED, prv, 0, 50) == [D(math.floor(x * 1001)) for x in u.tolist()]


# ---------------------------------------------------------------------------------------------------
# Lattice ([IN-13], [RNG-3])
# ---------------------------------------------------------------------------------------------------


def test_lattice_exact_endpoints() -> None:
    vals = lattice(D("0"), D("1"), D("0.1"))
    assert len(vals) == 11
    assert vals[0] == D("0")
    assert vals[-1] == D("1")
    assert vals[3] == D("0.3")  # exact decimal, not 0.30000000000000004
    assert lattice(D("10000"), D("200000"), D("1000"))[-1] == D("200000")
    assert lattice(D("5"), D("5"), D("1")) == [D("5")]


# ---------------------------------------------------------------------------------------------------
# [RNG-4] Draw rules
# ---------------------------------------------------------------------------------------------------


def test_uniform_covers_every_lattice_value() -> None:
    s = spec("uniform", lo="0.5", hi="2.5", step="0.25")  # K = 8
    draws = draw_variable(SEED, s, 0, 2000)
    lat = lattice(D("0.5"), D("2.5"), D("0.25"))
    assert set(draws) == set(lat)
    counts = [draws.count(v) for v in lat]
    assert min(counts) > 2000 / 9 * 0.7  # roughly equally likely


def test_uniform_single_point_lattice() -> None:
    s = spec("uniform", lo="3", hi="3", step="1", default="3")
    assert draw_variable(SEED, s, 0, 20) == [D("3")] * 20


def test_empty_distribution_means_uniform() -> None:
    assert draw_variable(SEED, spec(""), 0, 30) == draw_variable(SEED, spec("uniform"), 0, 30)


def test_normal_reaches_both_endpoints_via_clamp() -> None:
    s = spec("normal", lo="0", hi="10", step="1", default="5", sd="100")
    draws = draw_variable(SEED, s, 0, 500)
    assert D("0") in draws
    assert D("10") in draws
    assert all(D("0") <= v <= D("10") for v in nums(draws))


def test_normal_sd_zero_gives_default() -> None:
    s = spec("normal", lo="0", hi="10", step="0.5", default="7.5", sd="0")
    assert draw_variable(SEED, s, 0, 10) == [D("7.5")] * 10


def test_normal_matches_formula() -> None:
    s = spec("normal", lo="0", hi="100", step="0.5", default="50", sd="10", variable_id="n1")
    z = generator(SEED, (1, 1, h32("n1"), 0, 0)).standard_normal(40)
    expected = [D("0") + min(max(math.floor((50 + 10 * x) / 0.5 + 0.5), 0), 200) * D("0.5") for x in z]
    assert draw_variable(SEED, s, 0, 40) == expected


def test_beta_on_lattice_and_matches_formula() -> None:
    s = spec("beta", lo="0", hi="1", step="0.01", default="0.5", variable_id="b1", a="2", b="5")
    draws = draw_variable(SEED, s, 0, 300)
    lat = set(lattice(D("0"), D("1"), D("0.01")))
    assert all(v in lat for v in draws)
    bvals = generator(SEED, (1, 1, h32("b1"), 0, 0)).beta(2.0, 5.0, 300)
    expected = [min(max(math.floor(x / 0.01 + 0.5), 0), 100) * D("0.01") for x in bvals.tolist()]
    assert draws == expected
    mean = sum(nums(draws), D(0)) / len(draws)
    assert abs(float(mean) - 2 / 7) < 0.03


def test_triangular_min_equals_max_returns_min() -> None:
    s = spec("triangular", lo="4.2", hi="4.2", step="0.1", default="4.2")
    assert draw_variable(SEED, s, 0, 25) == [D("4.2")] * 25


def test_triangular_mode_defaults_to_default_and_stays_in_range() -> None:
    s_implicit = spec("triangular", lo="0", hi="10", step="1", default="8", variable_id="t1")
    s_explicit = spec("triangular", lo="0", hi="10", step="1", default="8", variable_id="t1", mode="8")
    draws = draw_variable(SEED, s_implicit, 0, 1000)
    assert draws == draw_variable(SEED, s_explicit, 0, 1000)
    assert set(draws) <= set(lattice(D("0"), D("10"), D("1")))
    x = generator(SEED, (1, 1, h32("t1"), 0, 0)).triangular(0.0, 8.0, 10.0, 1000)
    assert draws == [D(min(max(math.floor(v + 0.5), 0), 10)) for v in x.tolist()]


def test_lognormal_endpoints_reachable() -> None:
    s = spec("lognormal", lo="1", hi="5", step="1", default="2", sd="3")
    draws = draw_variable(SEED, s, 0, 2000)
    assert D("1") in draws
    assert D("5") in draws


def test_discrete_covers_all_values_and_uses_integers() -> None:
    values = ("alpha", "beta", "gamma", "delta")
    s = discrete_spec(values, variable_id="d1")
    draws = draw_variable(SEED, s, 0, 400)
    assert set(draws) == set(values)
    idx = generator(SEED, (1, 0, h32("d1"), 0, 0)).integers(0, 4, 400)
    assert draws == [values[i] for i in idx.tolist()]


def test_discrete_single_value() -> None:
    assert draw_variable(SEED, discrete_spec(("only",)), 0, 5) == ["only"] * 5


def test_unknown_distribution_rejected() -> None:
    with pytest.raises(ValueError, match="unknown distribution"):
        draw_variable(SEED, spec("cauchy"), 0, 3)


# ---------------------------------------------------------------------------------------------------
# [RNG-5] Outcome noise factor
# ---------------------------------------------------------------------------------------------------


def test_lognormal_factor_sd_zero_is_exactly_one() -> None:
    z = noise_z(SEED, 1, 1, 0, 0, mc_count=5, horizon=4)
    eps = lognormal_factor(z, 0)
    assert eps.shape == z.shape
    assert eps.dtype == np.float64
    assert np.all(eps == 1.0)


def test_lognormal_factor_mean_one_and_cv() -> None:
    z = noise_z(SEED, 1, 2, 0, 0, mc_count=1000, horizon=200).ravel()  # 200 000 draws
    eps = lognormal_factor(z, 20.0)
    assert abs(float(eps.mean()) - 1.0) < 0.005
    assert abs(float(eps.std()) - 0.20) < 0.005
    assert np.all(eps > 0)


def test_lognormal_factor_formula() -> None:
    z = np.array([-1.0, 0.0, 2.5])
    c = 0.15
    sigma2 = math.log(1 + c * c)
    expected = np.exp(-sigma2 / 2 + math.sqrt(sigma2) * z)
    assert np.array_equal(lognormal_factor(z, 15.0), expected)


# ---------------------------------------------------------------------------------------------------
# [RNG-1] Seed resolution
# ---------------------------------------------------------------------------------------------------

FULL_SIM = {"run": {"random_seed": 3}, "stochastic": {"random_seed": 2}}
NULL_SEED = {"random_seed": None}


@pytest.mark.parametrize(
    ("cli", "sim", "pub", "prv", "expected"),
    [
        (1, FULL_SIM, 4, 5, (1, "cli")),
        (0, FULL_SIM, 4, 5, (0, "cli")),  # 0 is a seed, not "missing"
        (None, FULL_SIM, 4, 5, (2, "stochastic.random_seed")),
        (None, {"run": {"random_seed": 3}, "stochastic": NULL_SEED}, 4, 5, (3, "run.random_seed")),
        (None, {"run": {"random_seed": 3}}, 4, 5, (3, "run.random_seed")),
        (None, {"run": {"random_seed": 3}, "stochastic": None}, 4, 5, (3, "run.random_seed")),
        (None, {"run": {}, "stochastic": {}}, 4, 5, (4, "public_tap.meta.seed")),
        (None, {}, None, 5, (5, "private_tap.meta.seed")),
        (None, {"run": None}, None, None, (None, None)),
        (None, {}, None, None, (None, None)),
    ],
)
def test_resolve_seed_order(
    cli: int | None,
    sim: dict[str, object],
    pub: int | None,
    prv: int | None,
    expected: tuple[int | None, str | None],
) -> None:
    assert resolve_seed(cli, sim, pub, prv) == expected


@pytest.mark.parametrize(
    ("sim", "pub", "expected"),
    [
        ({"stochastic": {"random_seed": "abc"}, "run": {"random_seed": 3}}, 4, (3, "run.random_seed")),
        ({"stochastic": {"random_seed": True}, "run": {"random_seed": 3}}, 4, (3, "run.random_seed")),
        ({"run": {"random_seed": -1}}, 4, (4, "public_tap.meta.seed")),
        ({"run": {"random_seed": 7.0}}, 4, (4, "public_tap.meta.seed")),
        ({"run": {"random_seed": "7"}}, None, (None, None)),
    ],
)
def test_resolve_seed_skips_values_that_are_not_seeds(
    sim: dict[str, object], pub: int | None, expected: tuple[int | None, str | None]
) -> None:
    """A bad seed is the schema's type_error; resolving must neither crash nor use it [RNG-1]."""
    assert resolve_seed(None, sim, pub, None) == expected


# ---------------------------------------------------------------------------------------------------
# [IN-13] Lazy lattice
# ---------------------------------------------------------------------------------------------------


def test_lattice_sequence_is_exact_and_lazy() -> None:
    grid = Lattice(D("5"), D("15"), D("0.05"))
    assert len(grid) == 201 and grid.k_max == 200
    assert grid[0] == D(5) and grid[99] == D("9.95") and grid[-1] == D(15) and grid[200] == D("15.00")
    assert list(grid) == lattice(D("5"), D("15"), D("0.05"))
    assert grid[1:4] == [D("5.05"), D("5.10"), D("5.15")]
    assert D("9.95") in grid and D("9.951") not in grid and D(16) not in grid and "9.95" not in grid
    assert 10 in grid
    with pytest.raises(IndexError):
        grid[201]
    with pytest.raises(IndexError):
        grid[-202]
    assert grid == Lattice(D("5.0"), D("15"), D("0.050")) and hash(grid) == hash(Lattice(D(5), D(15), D("0.05")))
    assert grid != Lattice(D(5), D(15), D("0.1"))
    huge = Lattice(D(0), D(10) ** 15, D(1))
    assert len(huge) == 10**15 + 1 and huge[-1] == D(10) ** 15
    assert repr(Lattice(D(0), D(1), D("0.5"))) == "Lattice(0..1.0 step 0.5, 3 values)"
    single = Lattice(D(3), D(3), D(1))
    assert list(single) == [D(3)]
