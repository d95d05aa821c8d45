"""The actuals CSV of `d3 backtest` and its validation ([OUT-17], findings in the [IN-18] style).

The file is `period,metric,value` (columns in any order), UTF-8, one header row. Lines whose first
character is `#` and blank lines are ignored, so a file can say what it is (the shipped example says
that it is made up). Every problem is collected before anything is raised, each with its physical
line and a "To fix this, …" hint, so a user fixes the whole file in one pass.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from d3_engine.core.errors import Findings, ValidationFailed
from d3_engine.inputs.schemas import did_you_mean


@dataclass(frozen=True)
class Metric:
    """One metric a user can backtest: where its per-path value lives in run.duckdb."""

    name: str
    tap: str | None  # the pipeline that must have run, None for whole-company figures
    table: str
    column: str
    is_float: bool  # a float driver that enters as DEC ([GEN-4])
    money: bool


METRICS: tuple[Metric, ...] = (
    Metric("revenue_total", None, "finance_month", "revenue_total_eur", False, True),
    Metric("revenue_public", "public", "finance_month", "revenue_public_eur", False, True),
    Metric("revenue_private", "private", "finance_month", "revenue_private_eur", False, True),
    Metric("active_customers_public", "public", "public_customers_path", "active_customers", True, False),
    Metric("active_clients_private", "private", "private_customers_by_month", "active_clients", True, False),
    Metric("ebitda", None, "finance_month", "ebitda_eur", False, True),
    Metric("net_income", None, "finance_month", "net_income_eur", False, True),
    Metric("cash_closing", None, "finance_month", "cash_closing_eur", False, True),
)
"""The metrics of [OUT-17] in their listed order, which is also the order of every output row."""

METRIC_BY_NAME = {m.name: m for m in METRICS}
COLUMNS = ("period", "metric", "value")
PLAIN_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
PERIOD_TEXT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
TAP_NAMES = {"public": "the Public Tap", "private": "the Private Tap"}


@dataclass(frozen=True)
class Actual:
    """One actual value: its metric, plan month and period, the exact decimal, and its line."""

    metric: str
    month: int
    period: str
    value: Decimal
    line: int


@dataclass(frozen=True)
class PlanFrame:
    """What the actuals are checked against: the run's months and the taps it ran."""

    run_id: str
    periods: dict[str, int]  # YYYY-MM → plan month
    pipelines: tuple[str, ...]


def _records(path: Path, shown: str, findings: Findings) -> list[tuple[int, list[str]]]:
    """Physical line and cells of every line that is neither blank nor a `#` comment."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        findings.error(
            "parse_error", shown, "", f"the file is not UTF-8 text ({exc.reason})", "save the file as UTF-8 CSV"
        )
        return []
    if "\x00" in text:
        findings.error("parse_error", shown, "", "the file holds a NUL byte", "save the file as plain UTF-8 CSV")
        return []
    records: list[tuple[int, list[str]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            cells = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            findings.error(
                "parse_error",
                shown,
                f"line {number}",
                f"the line cannot be read as CSV ({exc})",
                'quote a field only as a whole, e.g. "a,b"',
            )
            continue
        records.append((number, [c.strip() for c in cells]))
    return records


def _header(records: list[tuple[int, list[str]]], shown: str, findings: Findings) -> dict[str, int] | None:
    """Column → index of the header row, or None (with findings) when it is unusable."""
    if not records:
        findings.error(
            "parse_error",
            shown,
            "",
            "the file is empty: it has no header and no rows",
            "write the header `period,metric,value` and one row per month and metric",
        )
        return None
    line, cells = records[0]
    where = f"line {line}"
    ok = True
    for cell in cells:
        if cell not in COLUMNS:
            findings.error(
                "unknown_column",
                shown,
                where,
                f"unknown column '{cell}'{did_you_mean(cell, list(COLUMNS))}",
                "keep exactly the columns period, metric and value",
            )
            ok = False
    for column in COLUMNS:
        if cells.count(column) > 1:
            findings.error("parse_error", shown, where, f"column '{column}' appears twice", "keep one of them")
            ok = False
        elif column not in cells:
            findings.error(
                "missing_column",
                shown,
                where,
                f"column '{column}' is missing",
                "write the header `period,metric,value`",
            )
            ok = False
    if ok and len(records) == 1:
        findings.error(
            "parse_error",
            shown,
            where,
            "the file has a header but no rows",
            "add one row per month and metric, e.g. `2025-10,revenue_total,1200.50`",
        )
    return {c: cells.index(c) for c in COLUMNS} if ok else None


def _check_metric(name: str, frame: PlanFrame, shown: str, where: str, findings: Findings) -> bool:
    metric = METRIC_BY_NAME.get(name)
    if metric is None:
        findings.error(
            "bad_enum",
            shown,
            where,
            f"unknown metric '{name}'{did_you_mean(name, list(METRIC_BY_NAME))}",
            f"use one of {', '.join(METRIC_BY_NAME)}",
        )
        return False
    if metric.tap is not None and metric.tap not in frame.pipelines:
        findings.error(
            "unknown_reference",
            shown,
            where,
            f"metric '{name}' belongs to {TAP_NAMES[metric.tap]}, which run {frame.run_id} did not run",
            f"drop the rows of '{name}' or backtest a run that ran the {metric.tap} pipeline",
        )
        return False
    return True


def _check_period(text: str, frame: PlanFrame, shown: str, where: str, findings: Findings) -> bool:
    first, last = min(frame.periods), max(frame.periods)
    if not PERIOD_TEXT.match(text):
        findings.error(
            "type_error",
            shown,
            where,
            f"period '{text}' is not a month written YYYY-MM",
            f"write the month as YYYY-MM, e.g. {first}",
        )
        return False
    if text not in frame.periods:
        findings.error(
            "out_of_range",
            shown,
            where,
            f"period {text} is outside the plan of run {frame.run_id} ({first} to {last})",
            f"keep only months from {first} to {last}",
        )
        return False
    return True


def _check_value(text: str, shown: str, where: str, findings: Findings) -> Decimal | None:
    if not text:
        findings.error("missing_key", shown, where, "the value is empty", "write the actual figure, e.g. 1200.50")
        return None
    if not PLAIN_DECIMAL.match(text):
        findings.error(
            "type_error",
            shown,
            where,
            f"value '{text}' is not a plain decimal",
            "write digits with an optional minus sign and decimal point, e.g. -1234.56 "
            "(no thousands separator, exponent, currency sign or percent)",
        )
        return None
    return Decimal(text)


def _rows(
    records: list[tuple[int, list[str]]], index: dict[str, int], frame: PlanFrame, shown: str, findings: Findings
) -> list[Actual]:
    """The data rows as actual values; every problem becomes a finding and drops its row."""
    actuals: list[Actual] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in records:
        where = f"line {line}"
        if len(cells) != len(COLUMNS):
            findings.error(
                "parse_error",
                shown,
                where,
                f"the line has {len(cells)} fields, the header has 3",
                "write exactly period,metric,value on every line",
            )
            continue
        period, name, text = cells[index["period"]], cells[index["metric"]], cells[index["value"]]
        good = _check_metric(name, frame, shown, where, findings)
        good = _check_period(period, frame, shown, where, findings) and good
        value = _check_value(text, shown, where, findings)
        if (period, name) in seen:
            findings.error(
                "duplicate_id",
                shown,
                where,
                f"{name} for {period} is given twice (first on line {seen[(period, name)]})",
                "keep one value per period and metric",
            )
            continue
        seen[(period, name)] = line
        if good and value is not None:
            actuals.append(Actual(name, frame.periods[period], period, value, line))
    return actuals


def read_actuals(path: Path, frame: PlanFrame, shown: str | None = None) -> list[Actual]:
    """Parse and validate the actuals CSV against the run's plan.

    Args:
        path: the CSV file.
        frame: the run's periods and pipelines.
        shown: how findings name the file (default: the path as given).

    Returns:
        The actual values in file order.

    Raises:
        ValidationFailed: with every finding when anything is wrong (exit 2).
    """
    shown = shown if shown is not None else str(path)
    findings = Findings()
    if not path.is_file():
        why = "is a folder" if path.is_dir() else "does not exist"
        findings.error("missing_file", shown, "", f"the actuals file {why}", "pass --actuals with a CSV file")
        raise ValidationFailed(findings.items)
    records = _records(path, shown, findings)
    index = _header(records, shown, findings) if records or not findings.errors else None
    actuals = _rows(records[1:], index, frame, shown, findings) if index is not None else []
    if findings.errors:
        raise ValidationFailed(findings.items)
    return actuals
