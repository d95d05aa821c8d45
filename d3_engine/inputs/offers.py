"""GPU offers, the model catalogue and throughput rows in normal form (IN-10, IN-11, IN-12, PUB-2).

These normalised rows are what the input_* tables hold and what the SQL models read; the
validation of the same rows happens here so that a row is judged once, in one place.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from d3_engine.core.errors import Findings
from d3_engine.inputs.resolved import column_default

if TYPE_CHECKING:
    from d3_engine.inputs.load import Bundle

GPU_FILE = "operator/curated_gpu.csv"
GPU_DATASET = "curated_gpu"


def gpu_key(name: str) -> str:
    """GPU key: upper-case, trimmed, inner whitespace collapsed ("rtx  4090" → "RTX 4090")."""
    return re.sub(r"\s+", " ", name.strip()).upper()


@dataclass(frozen=True)
class Offer:
    """One deduplicated GPU offer: USD per single GPU-hour (IN-10)."""

    gpu: str
    vram_gb: float
    provider: str
    usd_hr: float
    availability: float
    reputation: float
    line: int


def reported(row: Any, *columns: str) -> bool:
    """True when one of the row's cells has text but no usable value: its type error is already reported."""
    return any(row.values.get(c) is None and (row.text.get(c) or "").strip() for c in columns)


def _row_offer(row: Any, rel: str, findings: Findings) -> Offer | None:
    values = row.values
    provider, gpu, vram = values.get("provider"), values.get("gpu_model"), values.get("gpu_vram_gb")
    if not isinstance(provider, str) or not isinstance(gpu, str) or not isinstance(vram, int | float) or vram <= 0:
        return None
    per_gpu, sku, count = values.get("price_per_gpu_hr"), values.get("price_usd_hr"), values.get("num_gpus")
    if reported(row, "price_per_gpu_hr", "price_usd_hr", "num_gpus"):
        return None
    if isinstance(per_gpu, int | float):
        usd = float(per_gpu)
    elif isinstance(sku, int | float) and isinstance(count, int) and count >= 1:
        usd = float(sku) / count
    elif sku is not None or count is not None:
        missing = "num_gpus" if sku is not None else "price_usd_hr"
        findings.error(
            "bad_offer",
            rel,
            f"line {row.line}",
            f"price_per_gpu_hr is empty and {missing} is missing or invalid, so the row has no price",
            "fill price_per_gpu_hr (USD per GPU-hour) or both price_usd_hr (USD per SKU-hour) and num_gpus (≥ 1)",
        )
        return None
    else:
        findings.error(
            "bad_offer",
            rel,
            f"line {row.line}",
            "no price: price_per_gpu_hr is empty and price_usd_hr with num_gpus is not given",
            "fill price_per_gpu_hr (USD per GPU-hour) or both price_usd_hr and num_gpus",
        )
        return None
    if usd <= 0:
        return None
    return Offer(
        gpu=gpu_key(gpu),
        vram_gb=float(vram),
        provider=provider.strip(),
        usd_hr=usd,
        availability=float(column_default(GPU_DATASET, "availability", values.get("availability"))),
        reputation=float(column_default(GPU_DATASET, "reputation", values.get("reputation"))),
        line=row.line,
    )


def normalise_offers(bundle: Bundle, findings: Findings) -> list[Offer]:
    """Deduplicated offers sorted by (gpu, provider); reports bad rows and duplicates."""
    table = bundle.tables.get("curated_gpu")
    if table is None:
        return []
    kept: dict[tuple[str, str], Offer] = {}
    vram_of: dict[str, tuple[float, int]] = {}
    for row in table.rows:
        offer = _row_offer(row, table.rel, findings)
        if offer is None:
            continue
        if offer.usd_hr >= 50:
            findings.warning(
                "offer_price_high",
                table.rel,
                f"line {row.line}",
                f"usd_hr {offer.usd_hr:g} per GPU-hour is unusually high",
                "check that the price is per single GPU-hour in USD",
            )
        first = vram_of.setdefault(offer.gpu, (offer.vram_gb, row.line))
        if first[0] != offer.vram_gb:
            findings.error(
                "bad_offer",
                table.rel,
                f"line {row.line}",
                f"GPU {offer.gpu} has VRAM {offer.vram_gb:g} here but {first[0]:g} on line {first[1]}",
                "give one GPU model one VRAM value in the whole file",
            )
        key = (offer.gpu, offer.provider)
        if key in kept:
            findings.warning(
                "duplicate_offer",
                table.rel,
                f"line {row.line}",
                f"several rows for ({offer.gpu}, {offer.provider}); the cheapest is kept",
                "keep one row per provider and GPU",
            )
            if offer.usd_hr < kept[key].usd_hr:
                kept[key] = offer
            continue
        kept[key] = offer
    return sorted(kept.values(), key=lambda o: (o.gpu.encode(), o.provider.encode()))


@dataclass(frozen=True)
class CatalogueModel:
    """One public model of the catalogue (IN-11)."""

    identity: str
    vram_gb_required: float
    params_b: float | None
    hf_id: str | None
    traffic_share: float | None
    line: int


def _vram_need(values: dict[str, Any]) -> float | None:
    need = values.get("vram_gb_required")
    if isinstance(need, int | float):
        return float(need)
    est = values.get("weights_vram_4bit_gb_est")
    if isinstance(est, int | float):
        return float(est) if est > 0 else None
    if isinstance(est, str):
        try:
            number = float(est)
        except ValueError:
            return None
        return number if number > 0 else None
    return None


def normalise_models(bundle: Bundle, findings: Findings) -> list[CatalogueModel]:
    """Catalogue models in file order; reports bad_model and traffic problems (IN-11)."""
    table = bundle.tables.get("curated_public_tap_models")
    if table is None:
        return []
    if not table.rows:
        findings.error("bad_model", table.rel, "", "the catalogue has no model rows", "add at least one model")
        return []
    models: list[CatalogueModel] = []
    seen: dict[str, int] = {}
    has_share = "traffic_share" in table.columns
    for row in table.rows:
        model = _model_row(row, table.rel, seen, has_share, findings)
        if model is not None:
            models.append(model)
    if has_share and models:
        _check_traffic(models, table.rel, findings)
    return models


def _model_row(row: Any, rel: str, seen: dict[str, int], has_share: bool, findings: Findings) -> CatalogueModel | None:
    """One catalogue row as a model, or None when it is unusable (each problem reported once)."""
    values = row.values
    model = values.get("model")
    if not isinstance(model, str) or not model:
        return None  # an empty cell is already reported by the schema
    variant = values.get("variant")
    identity = f"{model} {variant}" if variant else model
    if identity in seen:
        findings.error(
            "bad_model",
            rel,
            f"line {row.line}",
            f"model identity '{identity}' repeats line {seen[identity]}",
            "make model + variant unique",
        )
        return None
    seen[identity] = row.line
    need = _vram_need(values)
    if need is None:
        if not reported(row, "vram_gb_required"):
            findings.error(
                "bad_model",
                rel,
                f"line {row.line}",
                f"model '{identity}' has no usable VRAM need (vram_gb_required and weights_vram_4bit_gb_est are empty)",
                "fill vram_gb_required (GB) or weights_vram_4bit_gb_est",
            )
        return None
    share = values.get("traffic_share")
    if has_share and share is None and not reported(row, "traffic_share"):
        findings.error(
            "missing_column",
            rel,
            f"line {row.line}",
            "column traffic_share: every row needs a value when the column exists",
            "fill traffic_share on every row (0 for no traffic), or drop the column for an equal split",
        )
    if not has_share:  # the column is absent: equal shares [PUB-9] (a missing cell is an error above)
        share = column_default("curated_public_tap_models", "traffic_share", None)
    return CatalogueModel(identity, need, values.get("params_b"), values.get("hf_id"), share, row.line)


def _check_traffic(models: list[CatalogueModel], rel: str, findings: Findings) -> None:
    """traffic_share is a weight group (IN-17): all zero is an error, a sum ≠ 1 a warning."""
    total = math.fsum(m.traffic_share or 0 for m in models)
    if total <= 0:
        findings.error(
            "zero_weights", rel, "", "column traffic_share is 0 on every row", "give at least one model a share > 0"
        )
    elif abs(total - 1) > 1e-9:
        findings.warning(
            "traffic_renormalised",
            rel,
            "",
            f"column traffic_share sums to {total:g}, not 1; shares are divided by their sum",
            "make the shares sum to 1",
        )


@dataclass(frozen=True)
class Throughput:
    """A measured aggregate throughput row (PUB-2) in per-GPU tokens/s."""

    model_id: str
    gpu: str
    tps: float
    source_tag: str | None
    line: int


def measured_throughput(bundle: Bundle, findings: Findings) -> list[Throughput]:
    """The aggregate rows of tps_model_gpu.csv; other measurement types are kept for provenance only."""
    table = bundle.tables.get("tps_model_gpu")
    if table is None:
        return []
    rows: list[Throughput] = []
    for row in table.rows:
        values = row.values
        if values.get("measurement_type") != "aggregate" or reported(row, "throughput_tokens_per_sec"):
            continue
        tps, count = values.get("throughput_tokens_per_sec"), values.get("gpu_count")
        if not isinstance(tps, int | float) or tps <= 0:
            findings.error(
                "out_of_range",
                table.rel,
                f"line {row.line}",
                "column throughput_tokens_per_sec: an aggregate row needs a throughput > 0",
                "fill the measured tokens/s or change measurement_type",
            )
            continue
        if not isinstance(count, int) or count < 1 or not isinstance(values.get("model_id"), str):
            continue  # gpu_count < 1 or a missing model_id is reported by the schema
        rows.append(
            Throughput(
                values["model_id"].strip(),
                gpu_key(str(values.get("gpu", ""))),
                tps / count,
                values.get("source_tag"),
                row.line,
            )
        )
    return rows


def baselines(bundle: Bundle) -> tuple[float | None, dict[str, float]]:
    """(ref_params_b, tokens_per_s by GPU key) from gpu_baselines.yaml, when present and valid."""
    data = bundle.data("gpu_baselines")
    if not isinstance(data, dict) or not bundle.schema_ok.get("gpu_baselines"):
        return None, {}
    return float(data["ref_params_b"]), {gpu_key(k): float(v) for k, v in data["tokens_per_s"].items()}


@dataclass(frozen=True)
class Candidate:
    """A GPU that can serve a model, with its throughput (PUB-2)."""

    model: str
    gpu: str
    tps: float
    source: str  # measured | heuristic
    source_tag: str | None


def candidates(
    models: list[CatalogueModel],
    offers: list[Offer],
    measured: list[Throughput],
    ref_params_b: float | None,
    per_gpu: dict[str, float],
    allow_heuristic: bool,
) -> list[Candidate]:
    """C(m) for every model: fitting GPUs with a measured or heuristic throughput (PUB-2)."""
    vram = {o.gpu: o.vram_gb for o in offers}
    out: list[Candidate] = []
    for model in models:
        for gpu in sorted(vram, key=str.encode):
            if vram[gpu] < model.vram_gb_required:
                continue
            rows = [
                t
                for t in measured
                if model.hf_id and t.model_id.lower() == model.hf_id.strip().lower() and t.gpu == gpu
            ]
            if rows:
                best = min(rows, key=lambda t: t.tps)  # conservative; first in file order on ties
                out.append(Candidate(model.identity, gpu, best.tps, "measured", best.source_tag))
            elif allow_heuristic and gpu in per_gpu and ref_params_b is not None:
                tps = per_gpu[gpu] * ref_params_b / model.params_b if model.params_b else per_gpu[gpu]
                out.append(Candidate(model.identity, gpu, tps, "heuristic", None))
    return out
