"""Run folders, staging and atomic publishing (DOMAIN OUT-1, OUT-2).

A run is built in `<out>/.staging-<run_id>-<pid>/` (marked by `.d3-run`) and renamed into place
only when complete. The engine never deletes a folder that lacks its marker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from d3_engine.errors import RuntimeFailure
from d3_engine.load import InputFile

MARKER = ".d3-run"


def compute_run_id(
    engine_version: str, seed: int, pipelines: list[str], fail_on_warning: bool, files: list[InputFile]
) -> str:
    """First 16 hex digits of sha256 of the canonical run identity (OUT-1)."""
    identity = {
        "engine_version": engine_version,
        "seed": seed,
        "pipelines": sorted(pipelines),
        "fail_on_warning": fail_on_warning,
        "inputs": sorted(([f.rel, f.sha256] for f in files), key=lambda pair: pair[0].encode("utf-8")),
    }
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def make_staging(out: Path, run_id: str) -> Path:
    """Create the staging folder with its marker."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RuntimeFailure(f"cannot create the output folder {out}: {exc.strerror}") from exc
    staging = out / f".staging-{run_id}-{os.getpid()}"
    if staging.exists():
        remove_own(staging)
    staging.mkdir()
    (staging / MARKER).write_text("d3 run folder\n", encoding="utf-8")
    return staging


def remove_own(folder: Path) -> None:
    """Delete a folder only when it carries the d3 marker (never anything else)."""
    if folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file():
        shutil.rmtree(folder, ignore_errors=True)


def publish(staging: Path, out: Path, run_id: str) -> Path:
    """Rename the staging folder to `<out>/<run_id>` and point `<out>/latest` at it.

    Raises:
        RuntimeFailure: `<out>/<run_id>` exists and was not made by d3.
    """
    final = out / run_id
    aside: Path | None = None
    if final.exists() or final.is_symlink():
        if final.is_symlink() or not (final / MARKER).is_file():
            raise RuntimeFailure(
                f"{final} exists and was not created by d3; it is left untouched. "
                "To fix this, move it away or choose another --out folder"
            )
        aside = out / f".old-{run_id}-{os.getpid()}"
        final.rename(aside)
    staging.rename(final)
    if aside is not None:
        remove_own(aside)
    _swap_latest(out, run_id)
    return final


def _swap_latest(out: Path, run_id: str) -> None:
    latest = out / "latest"
    if latest.exists() and not latest.is_symlink():
        raise RuntimeFailure(
            f"{latest} exists and is not a link made by d3; it is left untouched. To fix this, move it away"
        )
    temp = out / f".latest-{os.getpid()}"
    if temp.is_symlink() or temp.exists():
        temp.unlink()
    temp.symlink_to(run_id)
    temp.replace(latest)
