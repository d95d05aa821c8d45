"""JSONL events on stdout: shape, timestamps, level filter, run_done always last [OUT-11]."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from d3_engine.core.events import EventLog, Progress, utc_timestamp

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_timestamp_is_utc_with_milliseconds() -> None:
    assert TS.match(utc_timestamp())


def test_event_shape_and_run_id() -> None:
    """Every line carries ts, level, event, run_id (null before it is known) and its own fields."""
    stream = io.StringIO()
    log = EventLog("INFO", stream)
    log.emit("load_done", "INFO", files=3, ms=12)
    log.run_id = "0123456789abcdef"
    log.emit("export_done", "INFO", artefacts=2, run_dir="out/0123456789abcdef", note="é")
    first, second = _lines(stream)
    assert list(first) == ["ts", "level", "event", "run_id", "files", "ms"]
    assert (first["run_id"], second["run_id"]) == (None, "0123456789abcdef")
    assert TS.match(first["ts"]) and second["note"] == "é"
    assert "é" in stream.getvalue()  # UTF-8, not \\u escapes


@pytest.mark.parametrize(
    ("level", "printed"),
    [
        (
            "DEBUG",
            ["draws_done", "model_done", "validation_warning", "validate_error", "run_start", "error", "run_done"],
        ),
        ("INFO", ["model_done", "validation_warning", "validate_error", "run_start", "error", "run_done"]),
        ("WARN", ["validation_warning", "validate_error", "run_start", "error", "run_done"]),
        ("ERROR", ["validate_error", "run_start", "error", "run_done"]),
    ],
)
def test_level_filter_keeps_run_start_error_and_run_done(level: str, printed: list[str]) -> None:
    """Events below logging.level are not printed; run_start, run_done and error always are."""
    stream = io.StringIO()
    log = EventLog(level, stream)
    for event, lvl in [
        ("draws_done", "DEBUG"),
        ("model_done", "INFO"),
        ("validation_warning", "WARN"),
        ("validate_error", "ERROR"),
        ("run_start", "INFO"),
        ("error", "ERROR"),
        ("run_done", "INFO"),
    ]:
        log.emit(event, lvl)
    assert [e["event"] for e in _lines(stream)] == printed


def test_progress_bar_only_on_a_terminal() -> None:
    stream = io.StringIO()
    Progress(enabled=True, stream=stream).update("draws", 1, 2)
    assert stream.getvalue() == ""  # not a TTY: nothing drawn


def test_validate_events_in_order(minimal: Any, d3: Callable[..., Any]) -> None:
    outcome = d3("validate", "--inputs", minimal.root)
    events = outcome.assert_contract()
    assert [e["event"] for e in events] == [
        "run_start", "load_start", "validate_start", "load_done", "validate_done", "run_done",
    ]  # fmt: skip
    start, done = events[0], events[-1]
    assert {k: start[k] for k in ("command", "out", "pipelines", "engine_version")} == {
        "command": "validate", "out": None, "pipelines": None, "engine_version": "0.1.0",
    }  # fmt: skip
    assert events[3]["files"] == 10 and events[4] == {**events[4], "errors": 0, "warnings": 0, "seed": 7}
    assert (done["exit_code"], done["run_dir"]) == (0, None)
    assert all(TS.match(e["ts"]) for e in events)


def test_quiet_prints_warnings_and_the_frame_only(minimal: Any, d3: Callable[..., Any]) -> None:
    """`--quiet` = WARN: INFO events vanish, warnings and run_start/run_done stay."""
    minimal.write("facts/extra.txt", "x\n")
    outcome = d3("validate", "--inputs", minimal.root, "--quiet")
    assert outcome.exit_code == 0
    assert [e["event"] for e in outcome.assert_contract()] == ["run_start", "validation_warning", "run_done"]
    warning = outcome.of("validation_warning")[0]
    assert {k: warning[k] for k in ("level", "code", "file", "location")} == {
        "level": "WARN", "code": "unknown_input_file", "file": "facts/extra.txt", "location": "",
    }  # fmt: skip


def test_logging_level_of_the_inputs_applies_after_validation(minimal: Any, d3: Callable[..., Any]) -> None:
    minimal.set_key("simulation.yaml", "logging.level", "ERROR")
    events = d3("validate", "--inputs", minimal.root).assert_contract()
    # load_start and validate_start precede the reading of logging.level; later INFO events are filtered
    assert [e["event"] for e in events] == ["run_start", "load_start", "validate_start", "run_done"]


def test_failure_prints_findings_then_error_then_run_done(minimal: Any, d3: Callable[..., Any]) -> None:
    """On exit 2: every validate_error, validate_done with the counts, `error`, and `run_done` last."""
    minimal.set_key("operator/general.yaml", "loan.repayment_type", "balloon")
    minimal.write("facts/extra.txt", "x\n")
    outcome = d3("validate", "--inputs", minimal.root)
    events = outcome.assert_contract()
    names = [e["event"] for e in events]
    assert sorted(names[-5:-3]) == ["validate_error", "validation_warning"]  # in the order they were found
    assert names[-3:] == ["validate_done", "error", "run_done"]
    assert events[-3]["errors"] == 1 and events[-3]["warnings"] == 1
    assert events[-2] == {**events[-2], "level": "ERROR", "code": 2, "kind": "VALIDATION_ERROR"}
    error = outcome.of("validate_error")[0]
    assert set(error) == {"ts", "level", "event", "run_id", "code", "file", "location", "message", "hint"}
    assert "d3: the inputs have 1 error(s) and 1 warning(s):" in outcome.stderr
