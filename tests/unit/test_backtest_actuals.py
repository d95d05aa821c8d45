"""Validation of the actuals CSV of `d3 backtest`: every error, its line and its fix [OUT-17] [IN-18]."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from d3_engine.core.errors import ERROR, Finding, ValidationFailed
from d3_engine.export.backtest.actuals import METRICS, Actual, PlanFrame, read_actuals

FRAME = PlanFrame("00112233445566aa", {"2026-01": 1, "2026-02": 2, "2026-03": 3}, ("public", "private"))
PUBLIC_ONLY = PlanFrame("00112233445566aa", FRAME.periods, ("public",))
HEADER = "period,metric,value\n"


def _read(tmp_path: Path, text: str | bytes, frame: PlanFrame = FRAME) -> list[Actual]:
    path = tmp_path / "actuals.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return read_actuals(path, frame, shown="actuals.csv")


def _findings(tmp_path: Path, text: str | bytes, frame: PlanFrame = FRAME) -> list[Finding]:
    with pytest.raises(ValidationFailed) as failed:
        _read(tmp_path, text, frame)
    findings = failed.value.findings
    assert findings and all(f.severity == ERROR and f.hint and f.file == "actuals.csv" for f in findings)
    return findings


def _one(tmp_path: Path, text: str | bytes, code: str, location: str, *names: str, frame: PlanFrame = FRAME) -> None:
    findings = _findings(tmp_path, text, frame)
    assert [(f.code, f.location) for f in findings] == [(code, location)], [f.render() for f in findings]
    rendered = findings[0].render()
    assert rendered.startswith(f"ERROR [{code}] actuals.csv{':' + location if location else ''}: ")
    assert " — To fix this, " in rendered
    for name in names:
        assert name in rendered, rendered


def test_a_good_file_in_any_column_order_with_comments_and_a_bom(tmp_path: Path) -> None:
    text = "\ufeff# made up for the example\nmetric,value,period\n\n"
    text += "revenue_total,1200.50,2026-01\n  ebitda , -3 ,2026-03\n"
    assert _read(tmp_path, text) == [
        Actual("revenue_total", 1, "2026-01", Decimal("1200.50"), 4),
        Actual("ebitda", 3, "2026-03", Decimal("-3"), 5),
    ]


def test_the_metrics_are_those_of_out_17_in_their_order() -> None:
    assert [m.name for m in METRICS] == [
        "revenue_total",
        "revenue_public",
        "revenue_private",
        "active_customers_public",
        "active_clients_private",
        "ebitda",
        "net_income",
        "cash_closing",
    ]


def test_unknown_metric_suggests_the_close_one(tmp_path: Path) -> None:
    _one(tmp_path, HEADER + "2026-01,revenue_totl,1\n", "bad_enum", "line 2", "revenue_totl", "'revenue_total'?")


def test_metric_of_a_tap_that_did_not_run(tmp_path: Path) -> None:
    text = HEADER + "2026-01,active_clients_private,3\n"
    _one(tmp_path, text, "unknown_reference", "line 2", "active_clients_private", "Private Tap", frame=PUBLIC_ONLY)


def test_period_outside_the_plan_names_the_plan_months(tmp_path: Path) -> None:
    _one(tmp_path, HEADER + "2026-04,ebitda,1\n", "out_of_range", "line 2", "2026-04", "2026-01 to 2026-03")
    _one(tmp_path, HEADER + "2025-12,ebitda,1\n", "out_of_range", "line 2", "2025-12")


@pytest.mark.parametrize("period", ["2026-1", "2026-13", "Jan 2026", "2026-01-31", ""])
def test_period_that_is_not_yyyy_mm(tmp_path: Path, period: str) -> None:
    _one(tmp_path, HEADER + f"{period},ebitda,1\n", "type_error", "line 2", "YYYY-MM")


def test_duplicate_period_and_metric_names_both_lines(tmp_path: Path) -> None:
    text = HEADER + "2026-01,ebitda,1\n2026-02,ebitda,1\n2026-01,ebitda,2\n"
    _one(tmp_path, text, "duplicate_id", "line 4", "ebitda", "2026-01", "line 2")


@pytest.mark.parametrize("value", ["1e3", '"1,200"', "€5", "12%", "nan", "inf", "+5", ".5", "5.", "0x10"])
def test_value_that_is_not_a_plain_decimal(tmp_path: Path, value: str) -> None:
    _one(tmp_path, HEADER + f"2026-01,ebitda,{value}\n", "type_error", "line 2", "plain decimal")


def test_empty_value(tmp_path: Path) -> None:
    _one(tmp_path, HEADER + "2026-01,ebitda,\n", "missing_key", "line 2", "empty")


def test_missing_and_extra_columns(tmp_path: Path) -> None:
    findings = _findings(tmp_path, "period,metric,amount\n2026-01,ebitda,1\n")
    assert [(f.code, f.location) for f in findings] == [("unknown_column", "line 1"), ("missing_column", "line 1")]
    assert "'amount'" in findings[0].message and "'value'" in findings[1].message
    _one(tmp_path, "period,metric,value,note\n2026-01,ebitda,1,x\n", "unknown_column", "line 1", "note")
    _one(tmp_path, "period,metric,value,value\n", "parse_error", "line 1", "twice")


def test_row_with_the_wrong_number_of_fields(tmp_path: Path) -> None:
    _one(tmp_path, HEADER + "2026-01,ebitda,1,2\n", "parse_error", "line 2", "4 fields")
    _one(tmp_path, HEADER + "2026-01,ebitda\n", "parse_error", "line 2", "2 fields")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    _one(tmp_path, text, "parse_error", "", "empty")


def test_header_without_rows(tmp_path: Path) -> None:
    _one(tmp_path, HEADER, "parse_error", "line 1", "no rows")


def test_not_utf8_and_nul_bytes(tmp_path: Path) -> None:
    _one(tmp_path, HEADER.encode() + b"2026-01,ebitda,\xff\n", "parse_error", "", "UTF-8")
    _one(tmp_path, HEADER.encode() + b"2026-01,ebitda,1\x00\n", "parse_error", "", "NUL")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    for target, why in ((tmp_path / "nope.csv", "does not exist"), (tmp_path, "is a folder")):
        with pytest.raises(ValidationFailed) as failed:
            read_actuals(target, FRAME)
        (finding,) = failed.value.findings
        assert finding.code == "missing_file" and why in finding.message and finding.hint


def test_every_problem_is_reported_in_one_pass(tmp_path: Path) -> None:
    text = (
        HEADER + "2026-01,revenue_totl,1\n2030-01,ebitda,2\n2026-02,ebitda,1e3\n2026-02,ebitda,5\n2026-03,net_income,\n"
    )
    findings = _findings(tmp_path, text)
    assert [(f.code, f.location) for f in findings] == [
        ("bad_enum", "line 2"),
        ("out_of_range", "line 3"),
        ("type_error", "line 4"),
        ("duplicate_id", "line 5"),
        ("missing_key", "line 6"),
    ]
