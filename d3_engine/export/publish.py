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
from typing import Any

from d3_engine.core.errors import RuntimeFailure
from d3_engine.inputs.load import InputFile

MARKER = ".d3-run"


def compute_run_id(
    engine_version: str,
    seed: int,
    pipelines: list[str],
    fail_on_warning: bool,
    files: list[InputFile],
    cli_overrides: list[list[str]] | None = None,
) -> str:
    """First 16 hex digits of sha256 of the canonical run identity (OUT-1).

    `cli_overrides` (the `--set` list, [IN-20]) joins the identity only when non-empty, so runs without
    `--set` keep their run ids ([V12-6]).
    """
    identity: dict[str, Any] = {
        "engine_version": engine_version,
        "seed": seed,
        "pipelines": sorted(pipelines),
        "fail_on_warning": fail_on_warning,
        "inputs": sorted(([f.rel, f.sha256] for f in files), key=lambda pair: pair[0].encode("utf-8")),
    }
    if cli_overrides:
        identity["cli_overrides"] = cli_overrides
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def make_staging(out: Path, run_id: str) -> Path:
    """Create `<out>/.staging-<run_id>-<pid>/` with its marker (OUT-2).

    Raises:
        RuntimeFailure: the output folder cannot be created or the staging name is taken by
            something d3 did not make.
    """
    staging = out / f".staging-{run_id}-{os.getpid()}"
    try:
        out.mkdir(parents=True, exist_ok=True)
        remove_own(staging)  # a leftover of an earlier process with our pid
        staging.mkdir()
        (staging / MARKER).write_text("d3 run folder\n", encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(
            f"cannot create the staging folder {staging}: {exc.strerror or exc}. "
            "To fix this, choose an --out folder you can write to"
        ) from exc
    return staging


def is_ours(folder: Path) -> bool:
    """A real folder carrying the d3 marker: made by d3, so d3 may replace or delete it."""
    return folder.is_dir() and not folder.is_symlink() and (folder / MARKER).is_file()


def remove_own(folder: Path) -> None:
    """Delete a folder only when it carries the d3 marker (never anything else)."""
    if is_ours(folder):
        shutil.rmtree(folder, ignore_errors=True)


def publish(staging: Path, out: Path, run_id: str) -> Path:
    """Rename the staging folder to `<out>/<run_id>` and point `<out>/latest` at it (OUT-1, OUT-2).

    Everything that could refuse is checked before the first rename, so a refusal publishes nothing.

    Raises:
        RuntimeFailure: `<out>/<run_id>` or `<out>/latest` exists and was not made by d3.
    """
    final, latest = out / run_id, out / "latest"
    taken = (final.exists() or final.is_symlink()) and not is_ours(final)
    if taken:
        raise RuntimeFailure(
            f"{final} exists and was not created by d3 (no {MARKER} marker); it is left untouched. "
            "To fix this, move it away or choose another --out folder"
        )
    if latest.exists() and not latest.is_symlink():
        raise RuntimeFailure(
            f"{latest} exists and is not a link made by d3; it is left untouched. To fix this, move it away"
        )
    aside: Path | None = None
    if final.exists():
        aside = out / f".old-{run_id}-{os.getpid()}"
        remove_own(aside)
        final.rename(aside)
    staging.rename(final)
    if aside is not None:
        remove_own(aside)
    _swap_latest(out, run_id)
    return final


def _swap_latest(out: Path, run_id: str) -> None:
    """Point `latest` at run_id atomically: a new relative link renamed over the old one."""
    temp = out / f".latest-{os.getpid()}"
    if temp.is_symlink() or temp.exists():
        temp.unlink()
    temp.symlink_to(run_id)
    temp.replace(out / "latest")
