"""Rules on the public catalogue, offers and throughput (IN-10, IN-11, IN-12, PUB-2).

These are static: they hold for every parameter set because no variable can change VRAM,
throughput rows or `allow_tps_heuristic`.
"""

from __future__ import annotations

from d3_engine.inputs.load import Bundle
from d3_engine.inputs.offers import (
    Candidate,
    CatalogueModel,
    Offer,
    baselines,
    candidates,
    measured_throughput,
    normalise_models,
    normalise_offers,
)
from d3_engine.inputs.rules import get
from d3_engine.inputs.schemas import num


def check_offers(bundle: Bundle) -> list[Offer]:
    """Normalise offers, reporting bad rows, duplicates and `no_offer`."""
    offers = normalise_offers(bundle, bundle.findings)
    table = bundle.tables.get("curated_gpu")
    if table is not None and not offers:
        bundle.findings.error(
            "no_offer",
            table.rel,
            "",
            "operator/curated_gpu.csv yields no usable offer",
            "add at least one row with provider, gpu_model, gpu_vram_gb and a price",
        )
    return offers


def check_catalogue(bundle: Bundle, offers: list[Offer], public_runs: bool) -> list[CatalogueModel]:
    """Models, VRAM fit and throughput candidates; warnings for single-GPU models and idle GPUs."""
    if not public_runs:
        return []
    models = normalise_models(bundle, bundle.findings)
    if not offers or not models:
        return models
    measured = measured_throughput(bundle, bundle.findings)
    if "tps_model_gpu" not in bundle.tables:  # optional [IN-1], but without it every throughput is a guess
        bundle.findings.warning(
            "no_measured_throughput",
            "facts/tps_model_gpu.csv",
            "",
            "the file is absent, so no model has a measured throughput: every tokens/s is a heuristic from "
            "facts/gpu_baselines.yaml (or the model has none)",
            "add facts/tps_model_gpu.csv with aggregate measurements (see the shipped inputs/)",
        )
    ref, per_gpu = baselines(bundle)
    allow = bool(get(bundle.data("public_tap"), "allow_tps_heuristic", False))
    cands = candidates(models, offers, measured, ref, per_gpu, allow)
    for model in models:
        _check_model(bundle, model, [c for c in cands if c.model == model.identity], offers, allow)
    served = {c.gpu for c in cands}
    measured_gpus = {t.gpu for t in measured}
    baselines_unreadable = bundle.unreadable("gpu_baselines")  # then which GPU has one is not known
    for gpu in sorted({o.gpu for o in offers}, key=str.encode):
        if gpu not in per_gpu and gpu not in measured_gpus and gpu not in served and not baselines_unreadable:
            bundle.findings.warning(
                "gpu_without_throughput",
                "operator/curated_gpu.csv",
                "",
                f"GPU {gpu} has no baseline and no measured throughput; it serves no public model",
                "add it to facts/gpu_baselines.yaml or measure it",
            )
    _check_source_tags(bundle, [c.source_tag for c in cands if c.source_tag])
    return models


def _check_model(
    bundle: Bundle, model: CatalogueModel, mine: list[Candidate], offers: list[Offer], allow: bool
) -> None:
    """model_fits_no_gpu, no_throughput or single_gpu_model for one catalogue model (IN-11, PUB-2)."""
    rel, where = bundle.tables["curated_public_tap_models"].rel, f"line {model.line}"
    fitting = sorted({o.gpu for o in offers if o.vram_gb >= model.vram_gb_required}, key=str.encode)
    if not fitting:
        largest = max(o.vram_gb for o in offers)
        bundle.findings.error(
            "model_fits_no_gpu",
            rel,
            where,
            f"model '{model.identity}' needs {num(model.vram_gb_required)} GB VRAM; "
            f"the largest curated GPU has {num(largest)} GB",
            "add an offer for a larger GPU to operator/curated_gpu.csv or lower vram_gb_required",
        )
    elif not mine and _throughput_unreadable(bundle):
        pass  # the file that would say is unreadable: its ERROR is reported, this one would only follow from it
    elif not mine:
        how = "" if allow else " (allow_tps_heuristic is false, so baselines are not used)"
        bundle.findings.error(
            "no_throughput",
            rel,
            where,
            f"model '{model.identity}' fits {', '.join(fitting)} but none has a throughput for hf_id "
            f"'{model.hf_id or ''}'{how}",
            "add an aggregate row to facts/tps_model_gpu.csv, or a baseline in facts/gpu_baselines.yaml "
            "with allow_tps_heuristic: true",
        )
    elif len(mine) == 1 and not _throughput_unreadable(bundle):  # else a GPU may be missing only for that
        bundle.findings.warning(
            "single_gpu_model",
            rel,
            where,
            f"model '{model.identity}' has exactly one candidate GPU ({mine[0].gpu})",
            "add offers for more GPUs to compare costs",
        )


def _check_source_tags(bundle: Bundle, used: list[str]) -> None:
    sources = bundle.data("tps_sources")
    if not isinstance(sources, dict):
        return
    for tag in sorted(set(used)):
        if tag not in sources:
            bundle.findings.warning(
                "unknown_source_tag",
                "facts/tps_model_gpu.csv",
                "",
                f"source_tag '{tag}' is not described in facts/tps_sources.yaml",
                "add it to tps_sources.yaml with name and url",
            )


def _throughput_unreadable(bundle: Bundle) -> bool:
    """Whether a model's throughput cannot be known: the file of the heuristic switch or of the baselines is
    unreadable (its own ERROR is reported)."""
    return bundle.unreadable("public_tap") or bundle.unreadable("gpu_baselines")
