"""The run ledger `<out>/ledger.jsonl`: one line per `d3 run` that computed a run id (DOMAIN OUT-15).

The file is append-only: each line is written by one `O_APPEND` write followed by fsync, and nothing
ever rewrites or truncates it, so concurrent runs never mix their lines and a kill can at most leave
a torn last line. Readers skip every line that is not one complete JSON object (V12-6). The ledger is
not an artefact of any run and is in no SHA256SUMS.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from d3_engine.core import interrupts
from d3_engine.core.events import utc_timestamp

LEDGER_NAME = "ledger.jsonl"
FIELDS = (
    "run_id",
    "started",
    "finished",
    "exit_code",
    "reused",
    "engine_version",
    "seed",
    "paths",
    "horizon_months",
    "inputs_sha256",
    "cli_overrides",
    "funding_gap_p50_eur",
    "extra_funding_p90_eur",
    "p_breach_any",
    "verdict",
)
# KPI field → (consolidated_kpis.csv metric, column); absent metrics stay null.
KPI_CELLS = {
    "funding_gap_p50_eur": ("funding_gap", "p50"),
    "extra_funding_p90_eur": ("extra_funding_p90", "p90"),
    "p_breach_any": ("p_breach_any", "p50"),
}


class Raw(str):
    """A number already written in its exact [OUT-3] form (a CSV cell): copied into the JSON as is."""


@dataclass
class LedgerEntry:
    """What a `d3 run` learns about itself, filled in as it goes."""

    engine_version: str
    started: str = field(default_factory=utc_timestamp)
    run_id: str | None = None
    seed: int | None = None
    paths: int | None = None
    horizon_months: int | None = None
    inputs_sha256: str | None = None
    cli_overrides: list[list[str]] = field(default_factory=list)  # [FILE.KEY, VALUE text] pairs [IN-20]
    reused: bool = False
    run_dir: Path | None = None


def _kpis(run_dir: Path | None) -> dict[str, Any]:
    """The ledger's KPI fields from a published run (null when nothing was published)."""
    values: dict[str, Any] = dict.fromkeys([*KPI_CELLS, "verdict"])
    if run_dir is None:
        return values
    try:
        with (run_dir / "consolidated_kpis.csv").open(encoding="utf-8", newline="") as fh:
            rows = {row.get("metric"): row for row in csv.DictReader(fh)}
        summary = json.loads((run_dir / "consolidated_summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, csv.Error):
        return values
    for name, (metric, column) in KPI_CELLS.items():
        cell = (rows.get(metric) or {}).get(column) or ""
        values[name] = Raw(cell) if cell and cell.lstrip("-").replace(".", "", 1).isdigit() else None
    verdict = summary.get("verdict") if isinstance(summary, dict) else None
    values["verdict"] = verdict if isinstance(verdict, str) else None
    return values


def record(entry: LedgerEntry, exit_code: int) -> dict[str, Any]:
    """The ledger line of a finished run, as a mapping in FIELDS order."""
    published = entry.run_dir if exit_code in (0, 4) else None
    values = {
        "run_id": entry.run_id,
        "started": entry.started,
        "finished": utc_timestamp(),
        "exit_code": exit_code,
        "reused": entry.reused,
        "engine_version": entry.engine_version,
        "seed": entry.seed,
        "paths": entry.paths,
        "horizon_months": entry.horizon_months,
        "inputs_sha256": entry.inputs_sha256,
        "cli_overrides": list(entry.cli_overrides),
        **_kpis(published),
    }
    return {name: values[name] for name in FIELDS}


def _json_line(values: dict[str, Any]) -> str:
    """One compact JSON object (sorted keys); Raw numbers keep their exact text."""
    parts = []
    for key in sorted(values):
        value = values[key]
        text = str(value) if isinstance(value, Raw) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        parts.append(f"{json.dumps(key)}:{text}")
    return "{" + ",".join(parts) + "}\n"


def append(out: Path, entry: LedgerEntry, exit_code: int) -> None:
    """Append the run's line to `<out>/ledger.jsonl`: one O_APPEND write, then fsync (OUT-15).

    Raises:
        OSError: the ledger cannot be written (the caller reports it; the run itself stands).
    """
    data = _json_line(record(entry, exit_code)).encode("utf-8")
    with interrupts.deferred():
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LEDGER_NAME, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def read_lines(out: Path) -> list[tuple[str, dict[str, Any]]]:
    """Every complete line of the ledger with its parsed value, oldest first (numbers stay exact).

    A torn line (a kill during the write), an empty line or anything that is not one JSON object with
    a run_id is skipped, wherever it is in the file (V12-6).
    """
    try:
        raw = (out / LEDGER_NAME).read_bytes()
    except FileNotFoundError:
        return []
    entries = []
    for line in raw.split(b"\n"):
        try:
            text = line.decode("utf-8")
            value = json.loads(text, parse_float=Decimal)
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(value, dict) and isinstance(value.get("run_id"), str):
            entries.append((text, value))
    return entries


def read(out: Path) -> list[dict[str, Any]]:
    """The parsed ledger lines, oldest first (see `read_lines`)."""
    return [value for _, value in read_lines(out)]


TABLE_COLUMNS = (
    ("started", "started (UTC)"),
    ("run_id", "run_id"),
    ("exit_code", "exit"),
    ("reused", "reused"),
    ("seed", "seed"),
    ("paths", "paths"),
    ("horizon_months", "months"),
    ("funding_gap_p50_eur", "funding_gap_p50_eur"),
    ("extra_funding_p90_eur", "extra_funding_p90_eur"),
    ("p_breach_any", "p_breach_any"),
    ("verdict", "verdict"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def ledger_table(entries: list[dict[str, Any]]) -> str:
    """The ledger as an aligned text table, one run per line, oldest first (`d3 runs`)."""
    if not entries:
        return "no runs recorded yet\n"
    rows = [[title for _, title in TABLE_COLUMNS]]
    rows += [[_cell(entry.get(key)) for key, _ in TABLE_COLUMNS] for entry in entries]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    lines = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
    return "".join(f"{line}\n" for line in lines)
