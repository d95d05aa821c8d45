"""The start-up sweep: remove what killed d3 processes left in `--out` (DOMAIN OUT-2).

A process killed by SIGKILL (or a power cut) cannot remove its staging folder. Every `d3 run`
therefore looks at `<out>` first and deletes the leftovers of processes that are gone, and only
those: a name of d3's own pattern whose pid no longer runs (or runs a process that started after
the folder was made, i.e. a reused pid), and, for a folder, the `.d3-run` marker inside it.
Anything else, including a folder of a d3 process that still runs, is never touched.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from d3_engine.export.publish import MARKER, is_ours, remove_own

STAGING = re.compile(r"^\.staging-([0-9a-f]{16})-([0-9]+)$")
ASIDE = re.compile(r"^\.old-([0-9a-f]{16})-([0-9]+)$")  # made by d3 before 0.2: a run moved aside
LATEST_TEMP = re.compile(r"^\.latest-([0-9]+)$")
START_SLACK_S = 2.0  # clock-tick rounding of a process start time


def _process_start(pid: int) -> float | None:
    """Wall-clock start of a live process (Linux /proc), None when unknown or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        boot = next(line for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime"))
    except (OSError, StopIteration):
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    if fields[0] == "Z":
        return -1.0  # a zombie: dead, only not yet collected by its parent
    return int(boot.split()[1]) + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def owner_alive(pid: int, made_at: float) -> bool:
    """Whether the process that made something at `made_at` (epoch seconds) may still run."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: leave its files alone
    started = _process_start(pid)
    if started is None:
        return True
    return 0 <= started <= made_at + START_SLACK_S


def _made_at(path: Path) -> float:
    marker = path / MARKER
    target = marker if marker.is_file() else path
    return target.lstat().st_mtime


def sweep(out: Path) -> list[str]:
    """Delete the leftovers of dead d3 processes in `out`; returns their names (oldest pattern first).

    A run that an old d3 moved aside (`.old-<run_id>-<pid>`) is put back under its name when that
    name is free, so a run hidden by a crash of an older version is found again.
    """
    if not out.is_dir():
        return []
    removed: list[str] = []
    for entry in sorted(os.scandir(out), key=lambda e: e.name):
        path = Path(entry.path)
        staging, aside, temp = STAGING.match(entry.name), ASIDE.match(entry.name), LATEST_TEMP.match(entry.name)
        if staging or aside:
            pid = int((staging or aside).group(2))  # type: ignore[union-attr]
            if not is_ours(path) or owner_alive(pid, _made_at(path)):
                continue
            if aside and not (out / aside.group(1)).exists():
                path.rename(out / aside.group(1))
            else:
                remove_own(path)
            removed.append(entry.name)
        elif temp and path.is_symlink() and not owner_alive(int(temp.group(1)), path.lstat().st_mtime):
            path.unlink()
            removed.append(entry.name)
    return removed
