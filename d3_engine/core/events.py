"""JSONL events on stdout and the human channel on stderr (DOMAIN OUT-11).

stdout carries only JSON objects, one per line. Events below the configured level are not
printed; `run_start`, `run_done` and `error` always are.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = {"DEBUG": 10, "INFO": 20, "WARN": 30, "ERROR": 40}
ALWAYS = {"run_start", "run_done", "error"}


def utc_timestamp() -> str:
    """UTC time as `YYYY-MM-DDTHH:MM:SS.mmmZ`."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class EventLog:
    """Writes events as JSON lines; remembers the run id once known."""

    def __init__(self, level: str = "INFO", stream: TextIO | None = None) -> None:
        self.level = level
        self.stream = stream if stream is not None else sys.stdout
        self.run_id: str | None = None
        self.seen: dict[str, dict[str, Any]] = {}  # the fields of each event's last emission, filtered or not
        self._started = time.monotonic()

    def set_level(self, level: str) -> None:
        self.level = level

    def emit(self, event: str, level: str = "INFO", **fields: Any) -> None:
        """Print one event line if its level passes the filter."""
        self.seen[event] = fields
        if event not in ALWAYS and LEVELS[level] < LEVELS[self.level]:
            return
        record: dict[str, Any] = {
            "ts": utc_timestamp(),
            "level": level,
            "event": event,
            "run_id": self.run_id,
        }
        record.update(fields)
        self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self.stream.flush()


def elapsed_ms(start: float) -> int:
    """Milliseconds since a `time.monotonic()` reading."""
    return int((time.monotonic() - start) * 1000)


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and self.stream.isatty()

    def update(self, label: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        width = 30
        filled = int(width * done / total)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{label:<14} [{bar}] {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()
