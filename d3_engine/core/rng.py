"""Seeds, random streams and draw rules ([RNG-1] … [RNG-5] of DOMAIN.md §2).

Every random number of a run comes from a fresh
``Generator(PCG64(SeedSequence(entropy=master_seed, spawn_key=KEY)))`` whose KEY names the draw's
logical coordinates. Because a stream is addressed by coordinates rather than consumed sequentially,
a draw depends only on the plan (H, R, M) and its coordinates: never on batch size, worker count or
order of execution ([RNG-7]).

Draws are produced in *blocks* ([RNG-2]) so that a large run builds thousands of generators rather
than millions. A block is always generated whole (a trailing partial block too) and sliced afterwards;
generating only the needed prefix would make the values depend on how many were needed.

Everything here is pure: no I/O, no global RNG state, no Python ``hash()``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from typing import Any, overload

import numpy as np
import numpy.typing as npt

__all__ = [
    "BLOCK_LIMIT",
    "CRN_GRID_POSITION",
    "SCOPE_IDS",
    "Lattice",
    "VariableSpec",
    "block_size",
    "draw_variable",
    "draw_variable_block",
    "generator",
    "h32",
    "lattice",
    "lattice_steps",
    "lognormal_factor",
    "noise_block",
    "noise_z",
    "resolve_seed",
]

#: Scope ids used in variable stream keys ([RNG-2]).
SCOPE_IDS: dict[str, int] = {"general": 0, "public_tap": 1, "private_tap": 2}

#: Upper bound of a block (BR, BM) ([RNG-2]).
BLOCK_LIMIT = 1024

#: The grid_index position of every KEY a plan uses ([RNG-9], common random numbers): the draws and the
#: outcome noise of (replicate r, MC iteration m) are the same at every grid point, so a sweep compares
#: grid points on the same random numbers. The key builders below still take the coordinate, so the
#: [RNG-8] vectors (stated for grid point 0) read as written.
CRN_GRID_POSITION = 0

#: Stream-kind prefixes of the KEY tuple ([RNG-2]).
_KIND_VARIABLE = 1
_KIND_NOISE = 2

# Working precision for exact lattice arithmetic. Lattice values are min + k·step with k ≤ K; the
# default 28 digits would silently round very long decimals, so use ample headroom instead.
_DECIMAL_PREC = 60


# --------------------------------------------------------------------------------------------------
# [RNG-1] Master seed
# --------------------------------------------------------------------------------------------------


def _section_value(doc: Mapping[str, Any] | None, section: str, key: str) -> Any:
    """Return ``doc[section][key]`` or None when any level is missing or null.

    Parsed YAML may hold ``None`` for an empty section, so every level is checked.
    """
    if not isinstance(doc, Mapping):
        return None
    sub = doc.get(section)
    if not isinstance(sub, Mapping):
        return None
    return sub.get(key)


def resolve_seed(
    cli_seed: int | None,
    simulation: Mapping[str, Any] | None,
    public_meta_seed: int | None,
    private_meta_seed: int | None,
) -> tuple[int | None, str | None]:
    """Pick the master seed by the precedence of [RNG-1].

    Order: CLI ``--seed`` > ``stochastic.random_seed`` > ``run.random_seed`` >
    ``public_tap.meta.seed`` > ``private_tap.meta.seed``. Returns ``(seed, source)`` with ``source``
    one of the exact strings recorded in ``run_summary.seed_source``, or ``(None, None)`` when no seed
    is found (the caller raises ERROR ``missing_seed``). A value that is not an integer ≥ 0 (text,
    a float, a boolean, a negative number) is skipped: the schema check reports it as its own
    ERROR, and resolving must not crash on it.
    """
    candidates: list[tuple[Any, str]] = [
        (cli_seed, "cli"),
        (_section_value(simulation, "stochastic", "random_seed"), "stochastic.random_seed"),
        (_section_value(simulation, "run", "random_seed"), "run.random_seed"),
        (public_meta_seed, "public_tap.meta.seed"),
        (private_meta_seed, "private_tap.meta.seed"),
    ]
    for value, source in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value, source
    return None, None


# --------------------------------------------------------------------------------------------------
# [RNG-2] Streams and blocks
# --------------------------------------------------------------------------------------------------


def h32(s: str) -> int:
    """First 4 bytes (big-endian) of SHA-256 of the UTF-8 string ``s``.

    A stable hash is required because Python's ``hash()`` is salted per process.
    """
    return int.from_bytes(hashlib.sha256(s.encode("utf-8")).digest()[:4], "big")


def generator(master_seed: int, key: tuple[int, ...]) -> np.random.Generator:
    """Build the generator for one logical stream ``key`` under ``master_seed``.

    ``spawn_key`` keeps streams of different coordinates statistically independent while the
    ``entropy`` ties them all to the master seed.
    """
    seq = np.random.SeedSequence(entropy=master_seed, spawn_key=key)
    return np.random.Generator(np.random.PCG64(seq))


def block_size(n: int) -> int:
    """Block size for ``n`` items: ``min(n, 1024)`` ([RNG-2]).

    It depends only on the plan size, so block boundaries never move with batching.
    """
    return min(n, BLOCK_LIMIT)


# --------------------------------------------------------------------------------------------------
# Variables and lattice ([IN-13], [RNG-3], [RNG-4])
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VariableSpec:
    """What the draw rules need to know about one variable ([IN-13]).

    Numbers are exact decimals parsed from the CSV text so lattice values land exactly on min and max.
    """

    scope: str  # general | public_tap | private_tap
    variable_id: str
    distribution: str  # uniform | normal | lognormal | beta | triangular | discrete
    lo: Decimal | None  # min (numeric); None for discrete
    hi: Decimal | None  # max
    step: Decimal | None
    default: Decimal | str
    params: dict[str, Decimal]  # sd / a, b / mode, already parsed
    values: tuple[str, ...] = ()  # discrete values in `values=` order


def lattice_steps(lo: Decimal, hi: Decimal, step: Decimal) -> int:
    """K = (max − min)/step as an int.

    Validation ([IN-13]) only guarantees an integer within 1e-9, so round to the nearest integer
    rather than truncate (truncation would drop the max when the quotient is 2.9999999999).
    """
    with localcontext() as ctx:
        ctx.prec = _DECIMAL_PREC
        return int(((hi - lo) / step).to_integral_value(rounding=ROUND_HALF_EVEN))


def lattice(lo: Decimal, hi: Decimal, step: Decimal) -> list[Decimal]:
    """All lattice values ``min + k·step`` for k = 0..K, in exact decimal ([RNG-3])."""
    k_max = lattice_steps(lo, hi, step)
    with localcontext() as ctx:
        ctx.prec = _DECIMAL_PREC
        return [lo + k * step for k in range(k_max + 1)]


class Lattice(Sequence[Decimal]):
    """The lattice ``min + k·step``, k = 0..K, as a lazy sequence of exact decimals ([IN-13]).

    A lattice may be huge (a tiny step on a wide range) while a run reads only a few of its values
    (a fixed or random variable) or must be refused with ``too_many_paths`` first (a grid axis), so
    values are computed on demand instead of materialised.
    """

    def __init__(self, lo: Decimal, hi: Decimal, step: Decimal):
        self.lo, self.hi, self.step = lo, hi, step
        self.k_max = lattice_steps(lo, hi, step)

    def __len__(self) -> int:
        return self.k_max + 1

    @overload
    def __getitem__(self, index: int) -> Decimal: ...

    @overload
    def __getitem__(self, index: slice) -> list[Decimal]: ...

    def __getitem__(self, index: int | slice) -> Decimal | list[Decimal]:
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        k = index + len(self) if index < 0 else index
        if not 0 <= k <= self.k_max:
            raise IndexError(f"lattice index {index} outside 0..{self.k_max}")
        return _lattice_value(self.lo, self.step, k)

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, Decimal | int):
            return False
        with localcontext() as ctx:
            ctx.prec = _DECIMAL_PREC
            k = (Decimal(value) - self.lo) / self.step
        return k == k.to_integral_value() and 0 <= k <= self.k_max

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lattice):
            return NotImplemented
        return (self.lo, self.step, self.k_max) == (other.lo, other.step, other.k_max)

    def __hash__(self) -> int:
        return hash((self.lo, self.step, self.k_max))

    def __repr__(self) -> str:
        return f"Lattice({self.lo}..{self[-1]} step {self.step}, {len(self)} values)"


def _lattice_value(lo: Decimal, step: Decimal, k: int) -> Decimal:
    """Exact ``min + k·step`` (no float round trip, so the value is the CSV lattice value)."""
    with localcontext() as ctx:
        ctx.prec = _DECIMAL_PREC
        return lo + k * step


def _snap(x: npt.NDArray[np.float64], lo: Decimal, step: Decimal, k_max: int) -> npt.NDArray[np.int64]:
    """Snap float draws to lattice indices: ``k = clamp(floor((x − min)/step + 0.5), 0, K)``.

    Done in float64 exactly as written so every implementation rounds ties identically. Clipping
    before the integer cast also tames ±inf (e.g. an overflowing lognormal).
    """
    k = np.floor((x - float(lo)) / float(step) + 0.5)
    return np.clip(k, 0, k_max).astype(np.int64)


def _require(value: Decimal | None, name: str, spec: VariableSpec) -> Decimal:
    """Narrow an optional lattice field; a numeric variable without it is a caller bug."""
    if value is None:
        raise ValueError(f"variable {spec.variable_id!r}: numeric draw needs {name}")
    return value


def _numeric_default(spec: VariableSpec) -> Decimal:
    """The default of a numeric variable as a Decimal (the CSV parser may hand over text)."""
    return spec.default if isinstance(spec.default, Decimal) else Decimal(spec.default)


def _lattice_indices(
    gen: np.random.Generator, spec: VariableSpec, dist: str, lo: Decimal, hi: Decimal, step: Decimal, br: int
) -> npt.NDArray[np.int64]:
    """Lattice indices k of one numeric block: one vectorised call of the rule of [RNG-4], then snap."""
    k_max = lattice_steps(lo, hi, step)
    if dist == "uniform":
        # floor(U·(K+1)) makes each of the K+1 values equally likely; min() guards U·(K+1) rounding up
        # to K+1 in float64.
        return np.minimum(np.floor(gen.random(br) * (k_max + 1)), k_max).astype(np.int64)
    if dist == "normal":
        x = float(_numeric_default(spec)) + float(spec.params["sd"]) * gen.standard_normal(br)
    elif dist == "lognormal":
        z = gen.standard_normal(br)
        mean = float(_numeric_default(spec))
        sd = float(spec.params["sd"])
        # Moment matching so the lognormal has the given mean (default) and standard deviation.
        sigma2 = math.log(1.0 + (sd * sd) / (mean * mean))
        mu = math.log(mean) - sigma2 / 2.0
        x = np.exp(mu + math.sqrt(sigma2) * z)
    elif dist == "beta":
        b = gen.beta(float(spec.params["a"]), float(spec.params["b"]), br)
        x = float(lo) + b * (float(hi) - float(lo))
    elif dist == "triangular":
        if lo == hi:
            # numpy rejects left == right; the only possible value is min, so no call is made.
            return np.zeros(br, dtype=np.int64)
        mode = spec.params.get("mode", _numeric_default(spec))
        x = gen.triangular(float(lo), float(mode), float(hi), br)
    else:
        raise ValueError(f"variable {spec.variable_id!r}: unknown distribution {dist!r}")
    return _snap(x, lo, step, k_max)


def draw_variable_block(master_seed: int, spec: VariableSpec, grid_index: int, rb: int, br: int) -> list[Decimal | str]:
    """Draw one whole replicate block ``rb`` of size ``br`` = BR for a random variable ([RNG-4]).

    The element for replicate_index r is at position ``r − rb·BR``. Exposed so a batch that cuts
    through a block can regenerate just that block.
    """
    key = (_KIND_VARIABLE, SCOPE_IDS[spec.scope], h32(spec.variable_id), grid_index, rb)
    dist = spec.distribution or "uniform"  # [IN-13]: uniform is the default distribution

    if dist == "discrete":
        if not spec.values:
            raise ValueError(f"variable {spec.variable_id!r}: discrete draw needs values")
        idx = generator(master_seed, key).integers(0, len(spec.values), br)
        return [spec.values[int(i)] for i in idx]

    lo = _require(spec.lo, "min", spec)
    hi = _require(spec.hi, "max", spec)
    step = _require(spec.step, "step", spec)
    ks = _lattice_indices(generator(master_seed, key), spec, dist, lo, hi, step, br)

    # Many replicates share few lattice values; compute each exact decimal once.
    cache: dict[int, Decimal] = {}
    out: list[Decimal | str] = []
    for k in ks.tolist():
        val = cache.get(k)
        if val is None:
            val = cache[k] = _lattice_value(lo, step, k)
        out.append(val)
    return out


def draw_variable(master_seed: int, spec: VariableSpec, grid_index: int, replicates: int) -> list[Decimal | str]:
    """Values of a random variable for replicate_index 0..replicates−1 at one grid point.

    Concatenates whole blocks rb = 0, 1, … of size BR = min(R, 1024) and drops the unused tail of
    the last block ([RNG-2]).
    """
    if replicates <= 0:
        return []
    br = block_size(replicates)
    n_blocks = -(-replicates // br)
    out: list[Decimal | str] = []
    for rb in range(n_blocks):
        out.extend(draw_variable_block(master_seed, spec, grid_index, rb, br))
    return out[:replicates]


# --------------------------------------------------------------------------------------------------
# Outcome noise ([RNG-2], [RNG-5])
# --------------------------------------------------------------------------------------------------


def noise_block(
    master_seed: int,
    tap_id: int,
    kind_id: int,
    grid_index: int,
    replicate_index: int,
    mb: int,
    horizon: int,
    bm: int,
) -> npt.NDArray[np.float64]:
    """One MC block of standard normals, shape (horizon, bm), month-major.

    ``tap_id``: 1 public, 2 private; ``kind_id``: 1 CAC, 2 usage (tokens/hours). Month-major order
    means month t's values are the same for any H ≥ t.
    """
    key = (_KIND_NOISE, tap_id, kind_id, grid_index, replicate_index, mb)
    return generator(master_seed, key).standard_normal((horizon, bm))


def noise_z(
    master_seed: int,
    tap_id: int,
    kind_id: int,
    grid_index: int,
    replicate_index: int,
    mc_count: int,
    horizon: int,
) -> npt.NDArray[np.float64]:
    """Z for every month and mc_index 0..M−1, shape (horizon, M).

    Blocks mb = 0, 1, … of width BM = min(M, 1024) are generated whole and concatenated; the unused
    columns of a trailing partial block are discarded.
    """
    if mc_count <= 0:
        return np.empty((horizon, 0), dtype=np.float64)
    bm = block_size(mc_count)
    n_blocks = -(-mc_count // bm)
    blocks = [
        noise_block(master_seed, tap_id, kind_id, grid_index, replicate_index, mb, horizon, bm)
        for mb in range(n_blocks)
    ]
    z = blocks[0] if n_blocks == 1 else np.concatenate(blocks, axis=1)
    return z[:, :mc_count]


def lognormal_factor(z: npt.NDArray[np.float64], sd_pct: float) -> npt.NDArray[np.float64]:
    """Mean-one multiplicative noise ε = exp(μ + σ·Z) with CV c = sd_pct/100 ([RNG-5]).

    σ² = ln(1 + c²), μ = −σ²/2. With sd_pct = 0 the factor is exactly 1.0 (not exp(0·Z) computed in
    float, which is also 1 but the shortcut makes the guarantee explicit); the Z values are still
    drawn by the caller so streams do not shift.
    """
    if sd_pct == 0:
        return np.ones_like(z, dtype=np.float64)
    c = float(sd_pct) / 100.0
    sigma2 = math.log(1.0 + c * c)
    mu = -sigma2 / 2.0
    return np.exp(mu + math.sqrt(sigma2) * np.asarray(z, dtype=np.float64))
