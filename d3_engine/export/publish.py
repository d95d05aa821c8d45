"""Run folders, staging and atomic publishing (DOMAIN OUT-1, OUT-2, V12-6).

A run is built in `<out>/.staging-<run_id>-<pid>/` (marked by `.d3-run`) and published once, under
its final name, by one rename that refuses a taken name. A recomputed run (`--force`, or a folder
that no longer verifies) replaces the published one by an atomic exchange. `latest` is switched by
renaming a new link over it. So at every instant `latest` and every published run are complete,
whatever kills the process. The engine never deletes a folder that lacks its marker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from d3_engine.core import interrupts
from d3_engine.core.errors import RuntimeFailure
from d3_engine.export.rename import exchange, rename_new
from d3_engine.inputs.load import InputFile

MARKER = ".d3-run"
LATEST = "latest"


def run_identity(
    engine_version: str,
    seed: int,
    pipelines: list[str],
    fail_on_warning: bool,
    files: list[InputFile],
    keep_path_tables: bool = False,
    cli_overrides: list[list[str]] | None = None,
) -> dict[str, Any]:
    """The mapping whose hash is the run id (OUT-1). `keep_path_tables` and `cli_overrides` (the `--set`
    list as `[FILE.KEY, VALUE text]` pairs, [IN-20]) enter only when used, so the ids of runs that do not
    use them never change (V12-6)."""
    identity: dict[str, Any] = {
        "engine_version": engine_version,
        "seed": seed,
        "pipelines": sorted(pipelines),
        "fail_on_warning": fail_on_warning,
        "inputs": input_pairs(files),
    }
    if keep_path_tables:
        identity["keep_path_tables"] = True
    if cli_overrides:
        identity["cli_overrides"] = [list(pair) for pair in cli_overrides]
    return identity


def input_pairs(files: list[InputFile]) -> list[list[str]]:
    """The OUT-1 `inputs` list: [relative path, sha256] sorted by the path's UTF-8 bytes."""
    return sorted(([f.rel, f.sha256] for f in files), key=lambda pair: pair[0].encode("utf-8"))


def canonical_sha256(value: Any) -> str:
    """SHA-256 hex of canonical JSON (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def compute_run_id(
    engine_version: str,
    seed: int,
    pipelines: list[str],
    fail_on_warning: bool,
    files: list[InputFile],
    keep_path_tables: bool = False,
    cli_overrides: list[list[str]] | None = None,
) -> str:
    """First 16 hex digits of sha256 of the canonical run identity (OUT-1, V12-6)."""
    identity = run_identity(engine_version, seed, pipelines, fail_on_warning, files, keep_path_tables, cli_overrides)
    return canonical_sha256(identity)[:16]


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


def _foreign(final: Path) -> RuntimeFailure:
    return RuntimeFailure(
        f"{final} exists and was not created by d3 (no {MARKER} marker); it is left untouched. "
        "To fix this, move it away or choose another --out folder"
    )


def check_latest(out: Path) -> None:
    """Refuse, before anything is published, when `latest` is something d3 did not make."""
    latest = out / LATEST
    if latest.exists() and not latest.is_symlink():
        raise RuntimeFailure(
            f"{latest} exists and is not a link made by d3; it is left untouched. To fix this, move it away"
        )


@dataclass(frozen=True)
class Published:
    """Where a run went: `replaced` when it took the place of an earlier copy of itself."""

    folder: Path
    replaced: bool


def publish(staging: Path, out: Path, run_id: str) -> Published:
    """Publish the staging folder as `<out>/<run_id>` and point `<out>/latest` at it (OUT-1, OUT-2).

    A free name is taken by one rename that refuses a taken one. A taken name that d3 made (an
    earlier copy, or the same run published meanwhile by another d3 process) is swapped with the
    staging folder in one atomic exchange; the earlier copy ends in the staging folder's name and is
    deleted. Signals wait until the renames are done. Everything that could refuse is checked
    before the first rename, so a refusal publishes nothing.

    Raises:
        RuntimeFailure: `<out>/<run_id>` or `<out>/latest` exists and was not made by d3.
    """
    final = out / run_id
    if (final.exists() or final.is_symlink()) and not is_ours(final):
        raise _foreign(final)
    check_latest(out)
    replaced = False
    with interrupts.deferred():
        try:
            rename_new(staging, final)
        except FileExistsError:
            if not is_ours(final):
                raise _foreign(final) from None
            exchange(staging, final, MARKER)
            replaced = True
        swap_latest(out, run_id)
    if replaced:
        remove_own(staging)  # now the earlier copy
    return Published(final, replaced)


def swap_latest(out: Path, run_id: str) -> None:
    """Point `latest` at run_id atomically: a new relative link renamed over the old one."""
    temp = out / f".latest-{os.getpid()}"
    if temp.is_symlink():
        temp.unlink()
    temp.symlink_to(run_id)
    temp.replace(out / LATEST)
