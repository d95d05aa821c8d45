"""Steps of specs/features/acceptance.feature [ACC-0]…[ACC-A13] [OUT-5] [OUT-6] [EX-8] [EX-10].

The generic steps of tests/bdd/conftest.py copy and edit the golden fixture and run the real CLI; the steps
here read the published acceptance.csv and consolidated_kpis.csv.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from pytest_bdd import parsers, scenarios, then

from d3_engine.export.consolidated import METRICS

scenarios("acceptance.feature")


def run_dir(cli_world: dict[str, Any]) -> Path:
    return Path(cli_world["outcome"].events[-1]["run_dir"])


def acceptance(cli_world: dict[str, Any]) -> dict[str, dict[str, str]]:
    with (run_dir(cli_world) / "acceptance.csv").open(encoding="utf-8", newline="") as fh:
        return {row["check_id"]: row for row in csv.DictReader(fh)}


def kpis(cli_world: dict[str, Any]) -> dict[str, dict[str, str]]:
    with (run_dir(cli_world) / "consolidated_kpis.csv").open(encoding="utf-8", newline="") as fh:
        return {row["metric"]: row for row in csv.DictReader(fh)}


@then(parsers.parse('acceptance check "{check_id}" fails as {article} {severity} with detail "{detail}"'))
def check_fails(cli_world: dict[str, Any], check_id: str, article: str, severity: str, detail: str) -> None:
    row = acceptance(cli_world)[check_id]
    assert (row["status"], row["effective_severity"], row["detail"]) == ("fail", severity, detail), row
    cli_world.setdefault("expected", set()).add(check_id)


@then(parsers.parse('acceptance check "{check_id}" is skipped because "{reason}"'))
def check_skipped(cli_world: dict[str, Any], check_id: str, reason: str) -> None:
    row = acceptance(cli_world)[check_id]
    assert (row["status"], row["detail"], row["paths_evaluated"]) == ("skipped", f"skipped: {reason}", ""), row
    cli_world.setdefault("expected", set()).add(check_id)


@then(parsers.parse('acceptance check "{check_id}" passes'))
def check_passes(cli_world: dict[str, Any], check_id: str) -> None:
    row = acceptance(cli_world)[check_id]
    assert (row["status"], row["violations"], row["detail"]) == ("pass", "0", ""), row


@then("every other acceptance check passes")
def others_pass(cli_world: dict[str, Any]) -> None:
    rows = acceptance(cli_world)
    assert list(rows) == [f"ACC-A{i}" for i in range(1, 14)]
    others = {k: r["status"] for k, r in rows.items() if k not in cli_world.get("expected", set())}
    assert set(others.values()) == {"pass"}, others


@then(parsers.parse('the consolidated KPI "{metric}" is {value} on every series'))
def kpi_value(cli_world: dict[str, Any], metric: str, value: str) -> None:
    row = kpis(cli_world)[metric]
    expected = "" if value == "empty" else value
    assert [row["p10"], row["p50"], row["p90"], row["rep"]] == [expected] * 4, row


@then(parsers.parse("the consolidated KPIs empty on every series are {names}"))
def kpis_empty(cli_world: dict[str, Any], names: str) -> None:
    empty = [m for m, row in kpis(cli_world).items() if [row["p10"], row["p50"], row["p90"], row["rep"]] == [""] * 4]
    assert empty == ([] if names == "none" else [n.strip() for n in names.split(",")])


OTHER_TAP_CHECKS = {"public": {1, 2, 5, 6, 7, 8, 9, 11}, "private": {3, 4}}


@then(parsers.parse('the checks of the {tap} tap are skipped because "{reason}"'))
def tap_checks_skipped(cli_world: dict[str, Any], tap: str, reason: str) -> None:
    skipped = {k for k, r in acceptance(cli_world).items() if r["detail"] == f"skipped: {reason}"}
    assert skipped == {f"ACC-A{i}" for i in OTHER_TAP_CHECKS[tap]}


@then("consolidated_kpis.csv has all 38 metrics in order")
def all_metrics(cli_world: dict[str, Any]) -> None:
    assert (
        list(kpis(cli_world)) == [m for m, _ in METRICS] and len(METRICS) == 38
    )  # [OUT-5] + support_fte_end [FIN-1a] + the [FIN-14] rows
