"""Autoscaler simulator [PUB-12]: the engine's one stateful Python model.

Every (admitted model, month with tokens > 0) of the representative path is simulated over one
representative day of N = 86400/Δ steps. All series advance together: the state is a set of numpy
arrays of shape (S,), and the only Python loop runs over the N steps. The result never feeds the P&L;
it fills `public_tap_scaling_events.csv`, `public_tap_autoscaling_summary.csv` and the autoscaling KPIs.

Pending (warming) replicas live in a ring buffer of w = max(1, ceil(warmup_s/Δ)) slots per series: a
replica added at step k is ready at k + w, so slot `ready_at % w` is unique among the pending replicas
(their ready_at lies in k+1..k+w) and several replicas added at one step share a slot.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

MODEL_NAME = "autoscaler"
MODEL_VERSION = 1

SECONDS_PER_DAY = 86400
ALL_MODELS = "ALL"
_NONE = -1  # sentinel for "none" in the last_action / below_since arrays (steps are ≥ 0)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class AutoscalerPolicy:
    """The `autoscaling.*` keys of the representative parameter set (public_tap scope)."""

    target_utilization_pct: float
    peak_factor: float
    min_instances: int
    max_instances: int
    evaluation_interval_s: int
    scale_up_threshold_pct: float
    scale_down_threshold_pct: float
    scale_up_step: int
    scale_down_step: int
    stabilization_window_s: int
    warmup_s: int
    cooldown_s: int


@dataclass(frozen=True)
class Series:
    """One simulated day: a (model, month) with its chosen GPU g*, avg_tph = tokens/720 and tps(m, g*)."""

    model: str
    gpu: str
    month: int
    avg_tph: float
    tps: float


@dataclass
class AutoscalerResult:
    """Event rows (model byte order, month, timestamp_s) and summary rows (models, then `ALL`)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _EventBatch:
    """The actions taken at one step k: series indices and the values of their event rows."""

    series_idx: IntArray
    k: int
    reason: str
    replicas_prev: IntArray
    replicas_new: IntArray
    demand: FloatArray
    capacity: FloatArray
    util: FloatArray


@dataclass
class _State:
    """Per-series state; every array has the series on axis 0."""

    ready: IntArray
    pending: IntArray  # (S, w) ring buffer of warming replicas, slot = ready_at % w
    pending_total: IntArray
    last_action: IntArray
    below_since: IntArray
    max_total: IntArray
    sla_violations: IntArray
    event_count: IntArray
    util: FloatArray  # (S, N) util_k
    joined: BoolArray  # (S, N) C_k > 0: util_k joins the statistics
    events: list[_EventBatch] = field(default_factory=list)


def p_quantile_float(values: npt.NDArray[np.float64], p: int) -> float | None:
    """Return the [GEN-5] percentile p (integer 0..100) of float64 values, or None for an empty set.

    NaN values count as null and are dropped; +inf sorts last. The result is
    `x_i + f·(x_{i+1} − x_i)` in float64 with `i = ⌊(n−1)·p/100⌋`, `r = (n−1)·p − 100·i` in integers
    and `f = r/100`; `x_{i+1} := x_i` when i = n − 1. Where an infinite value would make the formula
    undefined (0·∞, ∞ − ∞), its limit is returned: x_i when f = 0 or x_i = x_{i+1}, else the infinite
    end (−∞ if x_i = −∞, otherwise +∞).
    """
    if isinstance(p, bool) or not isinstance(p, int | np.integer) or not 0 <= p <= 100:
        raise ValueError(f"percentile p must be an integer in 0..100, got {p!r}")
    x = np.asarray(values, dtype=np.float64).ravel()
    x = np.sort(x[~np.isnan(x)])
    n = int(x.size)
    if n == 0:
        return None
    i = (n - 1) * int(p) // 100
    r = (n - 1) * int(p) - 100 * i
    f = r / 100
    lo = float(x[i])
    hi = float(x[i + 1]) if i < n - 1 else lo
    if math.isfinite(lo) and math.isfinite(hi):
        return lo + f * (hi - lo)
    if f == 0 or lo == hi:
        return lo
    return lo if lo == -math.inf else hi


def simulate(series: list[Series], policy: AutoscalerPolicy) -> AutoscalerResult:
    """Run [PUB-12] for every series at once and return its event and summary rows.

    Args:
        series: one entry per simulated (model, month); any order (sorted here by model in UTF-8 byte
            order, then month).
        policy: the autoscaling policy of the representative parameter set.

    Returns:
        The events and the per-model plus `ALL` summary rows, values as Python int/float/str
        (avg/p95 are None when no step had C_k > 0).

    Raises:
        ValueError: on an inconsistent policy or series (duplicate (model, month), tps ≤ 0, one model
            on two GPUs).

    Memory is O(S·N) float64 (every util_k is kept for the pooled GEN-5 p95); time is O(N) numpy
    calls on arrays of S values.
    """
    _validate_policy(policy)
    ordered = sorted(series, key=lambda s: (s.model.encode("utf-8"), s.month))
    _validate_series(ordered)
    delta = policy.evaluation_interval_s
    n_steps = SECONDS_PER_DAY // delta
    factor = _demand_factors(n_steps, policy.peak_factor)
    avg_tph = np.array([s.avg_tph for s in ordered], dtype=np.float64)
    cap_r = np.array([s.tps for s in ordered], dtype=np.float64) * 3600.0
    state = _initial_state(avg_tph * factor[0], cap_r, n_steps, policy)
    for k in range(n_steps):
        _step(state, k, avg_tph * factor[k], cap_r, policy)
    return AutoscalerResult(
        events=_event_rows(state, ordered, delta),
        summary=_summary_rows(state, ordered, n_steps),
    )


def _validate_policy(policy: AutoscalerPolicy) -> None:
    """Reject a policy the simulator cannot run (the loader validates the user-facing rules)."""
    delta = policy.evaluation_interval_s
    if delta <= 0 or SECONDS_PER_DAY % delta != 0:
        raise ValueError(f"evaluation_interval_s must be a positive divisor of 86400, got {delta}")
    if not 0 <= policy.min_instances <= policy.max_instances:
        raise ValueError("need 0 <= min_instances <= max_instances")
    if policy.scale_up_step < 1 or policy.scale_down_step < 1:
        raise ValueError("scale_up_step and scale_down_step must be >= 1")
    if policy.warmup_s < 0 or policy.cooldown_s < 0 or policy.stabilization_window_s < 0:
        raise ValueError("warmup_s, cooldown_s and stabilization_window_s must be >= 0")


def _validate_series(ordered: list[Series]) -> None:
    """Reject duplicate (model, month) pairs, a model served on two GPUs and non-positive tps."""
    gpu_of: dict[str, str] = {}
    seen: set[tuple[str, int]] = set()
    for s in ordered:
        if (s.model, s.month) in seen:
            raise ValueError(f"duplicate series for model {s.model!r}, month {s.month}")
        seen.add((s.model, s.month))
        if gpu_of.setdefault(s.model, s.gpu) != s.gpu:
            raise ValueError(f"model {s.model!r} has series on GPUs {gpu_of[s.model]!r} and {s.gpu!r}")
        if not s.tps > 0:
            raise ValueError(f"tps must be > 0 for model {s.model!r}, month {s.month}")
        if not s.avg_tph >= 0:
            raise ValueError(f"avg_tph must be >= 0 for model {s.model!r}, month {s.month}")


def _demand_factors(n_steps: int, peak_factor: float) -> FloatArray:
    """Return `1 + a·cos(2π(k − k_p)/N)` for k = 0..N−1, evaluated left to right in float64.

    The factor is common to all series, so D_k = avg_tph × factor_k is the formula of [PUB-12]
    with the same operations. math.cos (the platform libm) keeps the values independent of numpy's
    SIMD dispatch.
    """
    k_p = 7 * n_steps // 12
    a = peak_factor - 1
    return np.array([1 + a * math.cos(2 * math.pi * (k - k_p) / n_steps) for k in range(n_steps)], dtype=np.float64)


def _initial_state(d0: FloatArray, cap_r: FloatArray, n_steps: int, policy: AutoscalerPolicy) -> _State:
    """Start: ready = clamp(ceil(D_0/(cap_r·target/100) − 1e-9), min, max), nothing pending."""
    n_series = d0.size
    needed = np.ceil(d0 / (cap_r * policy.target_utilization_pct / 100) - 1e-9)
    ready = np.clip(needed, policy.min_instances, policy.max_instances).astype(np.int64)
    delta = policy.evaluation_interval_s
    warm = max(1, -(-int(policy.warmup_s) // delta))  # w = max(1, ceil(warmup_s/Δ)), exact in integers
    return _State(
        ready=ready,
        pending=np.zeros((n_series, warm), dtype=np.int64),
        pending_total=np.zeros(n_series, dtype=np.int64),
        last_action=np.full(n_series, _NONE, dtype=np.int64),
        below_since=np.full(n_series, _NONE, dtype=np.int64),
        max_total=ready.copy(),
        sla_violations=np.zeros(n_series, dtype=np.int64),
        event_count=np.zeros(n_series, dtype=np.int64),
        util=np.zeros((n_series, n_steps), dtype=np.float64),
        joined=np.zeros((n_series, n_steps), dtype=np.bool_),
    )


def _utilisation(demand: FloatArray, capacity: FloatArray) -> FloatArray:
    """util = 100·D/C if C > 0, +∞ if D > 0 = C, 0 if both are 0."""
    util = np.where(demand > 0, np.inf, 0.0)
    np.divide(100 * demand, capacity, out=util, where=capacity > 0)
    return util


def _step(state: _State, k: int, demand: FloatArray, cap_r: FloatArray, policy: AutoscalerPolicy) -> None:
    """Advance every series by step k, sub-steps 1..8 of [PUB-12] in order."""
    warm = state.pending.shape[1]
    slot = k % warm
    arrived = state.pending[:, slot].copy()  # 1. ready_at == k (earlier ones arrived already)
    state.ready += arrived
    state.pending_total -= arrived
    state.pending[:, slot] = 0
    capacity = state.ready * cap_r  # 2.
    util = _utilisation(demand, capacity)
    state.sla_violations += demand > capacity  # 3.
    below = util < policy.scale_down_threshold_pct  # 4.
    state.below_since = np.where(below, np.where(state.below_since == _NONE, k, state.below_since), _NONE)
    delta = policy.evaluation_interval_s  # 5.
    cool = (state.last_action == _NONE) | ((k - state.last_action) * delta >= policy.cooldown_s)
    total = state.ready + state.pending_total
    up = cool & (util > policy.scale_up_threshold_pct) & (total < policy.max_instances)  # 6.
    if up.any():
        n_up = np.where(up, np.minimum(policy.scale_up_step, policy.max_instances - total), 0)
        state.pending[:, slot] += n_up  # ready_at = k + w lands in the slot emptied in sub-step 1
        state.pending_total += n_up
        state.last_action[up] = k
        _record(state, up, k, "scale_up", total, total + n_up, (demand, capacity, util))
    stable = (state.below_since != _NONE) & ((k - state.below_since) * delta >= policy.stabilization_window_s)
    down = ~up & cool & stable & (total > policy.min_instances)  # 7.
    if down.any():
        n_down = np.where(down, np.minimum(policy.scale_down_step, total - policy.min_instances), 0)
        applied = _scale_down(state, k, n_down, demand, cap_r, policy.scale_up_threshold_pct)
        _record(state, applied, k, "scale_down", total, total - n_down, (demand, capacity, util))
    state.util[:, k] = util  # 8.
    state.joined[:, k] = capacity > 0
    np.maximum(state.max_total, state.ready + state.pending_total, out=state.max_total)


def _scale_down(
    state: _State, k: int, n_down: IntArray, demand: FloatArray, cap_r: FloatArray, up_threshold: float
) -> BoolArray:
    """Sub-step 7: remove n_down replicas, pending first (latest ready_at first), then ready.

    A removal is skipped when D_k > 0 and the remaining ready replicas would be none or above the
    scale-up threshold (anti-flapping); a skipped series keeps its state. Returns the applied mask.
    """
    warm = state.pending.shape[1]
    # Pending ready_at values are k+w−1, …, k+1 (latest first), held in slots (k−1)%w, …, (k−w+1)%w.
    order = [(k - j) % warm for j in range(1, warm)]
    has_pending = bool(state.pending_total[n_down > 0].any())
    if has_pending:
        queue = state.pending[:, order]
        taken_before = np.cumsum(queue, axis=1) - queue
        removed = np.minimum(np.maximum(n_down[:, None] - taken_before, 0), queue)
        ready_after = state.ready - (n_down - removed.sum(axis=1))
    else:
        ready_after = state.ready - n_down
    util_after = np.full(demand.shape, np.inf)
    np.divide(100 * demand, ready_after * cap_r, out=util_after, where=ready_after > 0)
    skip = (demand > 0) & ((ready_after == 0) | (util_after > up_threshold))
    applied: BoolArray = (n_down > 0) & ~skip
    if not applied.any():
        return applied
    if has_pending:
        removed[~applied] = 0
        state.pending[:, order] = queue - removed
        state.pending_total -= removed.sum(axis=1)
    state.ready = np.where(applied, ready_after, state.ready)
    state.last_action[applied] = k
    state.below_since[applied] = _NONE
    return applied


def _record(
    state: _State,
    mask: BoolArray,
    k: int,
    reason: str,
    prev: IntArray,
    new: IntArray,
    values: tuple[FloatArray, FloatArray, FloatArray],
) -> None:
    """Keep the event rows of the series in mask at step k (D_k, C_k before the action, util_k)."""
    if not mask.any():
        return
    demand, capacity, util = values
    state.event_count += mask
    state.events.append(
        _EventBatch(np.flatnonzero(mask), k, reason, prev[mask], new[mask], demand[mask], capacity[mask], util[mask])
    )


def _event_rows(state: _State, ordered: list[Series], delta: int) -> list[dict[str, Any]]:
    """Build the event rows ordered by series (model byte order, month), then timestamp."""
    keyed: list[tuple[int, int, dict[str, Any]]] = []
    for b in state.events:
        for j, s_idx in enumerate(b.series_idx.tolist()):
            s = ordered[s_idx]
            row = {
                "timestamp_s": b.k * delta,
                "model": s.model,
                "gpu": s.gpu,
                "month": s.month,
                "demand_tokens_per_hour": float(b.demand[j]),
                "effective_capacity": float(b.capacity[j]),
                "replicas_prev": int(b.replicas_prev[j]),
                "replicas_new": int(b.replicas_new[j]),
                "reason": b.reason,
                "util_pct": float(b.util[j]),
            }
            keyed.append((s_idx, b.k, row))
    keyed.sort(key=lambda item: (item[0], item[1]))
    return [row for _, _, row in keyed]


def _sequential_mean(values: FloatArray) -> float | None:
    """Mean as a float64 sum strictly left to right (np.cumsum, never pairwise) over the count."""
    if values.size == 0:
        return None
    return float(np.cumsum(values)[-1]) / values.size


def _summary_row(state: _State, start: int, stop: int, model: str, gpu: str, n_steps: int) -> dict[str, Any]:
    """Pool the series start..stop−1 (already in model, month order) into one summary row."""
    # Boolean indexing is row-major: series (model, then month) first, then k — the summation order.
    pooled = state.util[start:stop][state.joined[start:stop]]
    months = stop - start
    return {
        "model": model,
        "gpu": gpu,
        "months_simulated": months,
        "steps": n_steps * months,
        "avg_util_pct": _sequential_mean(pooled),
        "p95_util_pct": p_quantile_float(pooled, 95),
        "sla_violations": int(state.sla_violations[start:stop].sum()),
        "scale_events": int(state.event_count[start:stop].sum()),
        "max_replicas": int(state.max_total[start:stop].max(initial=0)),
    }


def _summary_rows(state: _State, ordered: list[Series], n_steps: int) -> list[dict[str, Any]]:
    """Build one summary row per model (byte order) and the pooled `ALL` row."""
    rows: list[dict[str, Any]] = []
    start = 0
    while start < len(ordered):
        stop = start
        while stop < len(ordered) and ordered[stop].model == ordered[start].model:
            stop += 1
        rows.append(_summary_row(state, start, stop, ordered[start].model, ordered[start].gpu, n_steps))
        start = stop
    rows.append(_summary_row(state, 0, len(ordered), ALL_MODELS, "", n_steps))
    return rows
