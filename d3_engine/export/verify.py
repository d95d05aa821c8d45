"""Is a published run complete and made by this engine? (DOMAIN OUT-15, V12-6).

A run folder verifies when it carries the d3 marker, every line of its SHA256SUMS matches the
file it names, and its run.duckdb opens read-only. It may be reused instead of recomputed when it
also records the current engine: the same model fingerprints and the same SHA-256 of the engine's
source (`engine_source_sha256` in run_summary), and the flags that change what run.duckdb keeps.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from d3_engine.core.files import sql_dir
from d3_engine.core.formats import sha256_file
from d3_engine.export.publish import is_ours

SUMS_LINE = re.compile(r"^([0-9a-f]{64})  (\S.*)$")
PACKAGE_DIR = Path(__file__).resolve().parents[1]
SOURCE_SUFFIXES = {".py", ".sql", ".j2", ".jinja", ".html", ".css", ".json"}  # code and templates, not READMEs


@lru_cache(maxsize=1)
def engine_source_sha256() -> str:
    """SHA-256 over the engine's source: the code and template files of d3_engine/ and sql/ (V12-6).

    Each file enters as `<root>/<relative path>\\0<sha256>\\n`, in UTF-8 byte order of the names, so
    the digest changes with any edit of code, SQL or templates and with nothing else.
    """
    entries: list[str] = []
    for root_name, root in (("d3_engine", PACKAGE_DIR), ("sql", sql_dir())):
        for path in root.rglob("*"):
            rel = path.relative_to(root)
            # d3_engine/resources/ holds the data folders (links in a checkout, copies in a wheel): sql/ is
            # hashed once as its own root, so a wheel and a checkout of the same code give the same digest
            if rel.parts[:1] == ("resources",) and root_name == "d3_engine":
                continue
            if path.is_file() and path.suffix in SOURCE_SUFFIXES and "__pycache__" not in path.parts:
                entries.append(f"{root_name}/{rel.as_posix()}\0{sha256_file(path)}\n")
    entries.sort(key=str.encode)
    return hashlib.sha256("".join(entries).encode("utf-8")).hexdigest()


def _safe_rel(rel: str) -> bool:
    parts = rel.split("/")
    return not rel.startswith("/") and ".." not in parts and "" not in parts


def sums_problem(folder: Path) -> str | None:
    """Why the folder's files do not match its SHA256SUMS, or None when every line matches."""
    sums = folder / "SHA256SUMS"
    try:
        lines = sums.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return "it has no readable SHA256SUMS"
    if not lines:
        return "its SHA256SUMS is empty"
    for line in lines:
        match = SUMS_LINE.match(line)
        if match is None or not _safe_rel(match.group(2)):
            return f"SHA256SUMS holds a line that is not `<sha256>  <file>`: {line[:80]!r}"
        target = folder / match.group(2)
        try:
            actual = sha256_file(target) if target.is_file() and not target.is_symlink() else None
        except OSError:
            actual = None
        if actual != match.group(1):
            return f"{match.group(2)} does not match SHA256SUMS"
    return None


def _duckdb_problem(folder: Path) -> str | None:
    import duckdb

    try:
        duckdb.connect(str(folder / "run.duckdb"), read_only=True).close()
    except Exception as exc:  # any failure to open means: not reusable
        return f"its run.duckdb does not open read-only ({type(exc).__name__})"
    return None


def verify_problem(folder: Path) -> str | None:
    """Why the folder is not a complete published d3 run (OUT-15), or None when it verifies."""
    if not is_ours(folder):
        return "it is not a run folder made by d3"
    return sums_problem(folder) or _duckdb_problem(folder)


@dataclass(frozen=True)
class Expected:
    """What the current engine would record for this run (V12-6)."""

    model_fingerprints: list[dict[str, Any]]
    engine_source_sha256: str
    keep_path_tables: bool = False


def summary_of(folder: Path) -> dict[str, Any] | None:
    """The run's run_summary.json, or None when unreadable."""
    try:
        data = json.loads((folder / "run_summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def reuse_problem(folder: Path, expected: Expected) -> str | None:
    """Why `folder` may not be reused for this run (OUT-15, V12-6), or None when it may."""
    problem = verify_problem(folder)
    if problem:
        return problem
    summary = summary_of(folder)
    if summary is None:
        return "its run_summary.json cannot be read"
    if summary.get("engine_source_sha256") != expected.engine_source_sha256:
        return "it was made by a different engine source (engine_source_sha256 differs)"
    if summary.get("model_fingerprints") != expected.model_fingerprints:
        return "its model fingerprints differ from the current engine's"
    if bool(summary.get("keep_path_tables", False)) != expected.keep_path_tables:
        return "its run.duckdb keeps different tables than --keep-path-tables asks for"
    if not isinstance(summary.get("exit_code"), int):
        return "its run_summary.json records no exit code"
    return None
