"""Steps of specs/features/report.feature [OUT-10] [PUB-10] [EX-4]…[EX-6].

Each scenario copies the golden fixture's run (tests/unit/test_report_fixture.py: `d3 run` once per
process, later-stage tables dropped), renders the report with `d3_engine.report.render` and reads report.md,
report.html and report_tables/*.csv.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_report_fixture import taps_only_copy

from d3_engine.report.render import render_report, rerender

scenarios("report.feature")


@pytest.fixture
def world() -> dict[str, Any]:
    return {}


def md_table(md: str, title: str) -> list[dict[str, str]]:
    """The rows of the Markdown table under `### <title>` as label → cell."""
    lines = md[md.index(f"### {title}\n") :].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" |")])
    header, body = rows[0], rows[2:]
    return [dict(zip(header, row, strict=True)) for row in body]


def section_text(md: str, title: str) -> str:
    match = re.search(rf"^## \d+\. {re.escape(title)}\n(.*?)(?=^<a id=|^## \d+\. |\Z)", md, flags=re.S | re.M)
    assert match, title
    return match.group(1)


def digests(folder: Path) -> dict[str, str]:
    report = [p for p in folder.rglob("*") if p.is_file() and p.name in ("report.md", "report.html")]
    report += [p for d in ("charts", "report_tables") for p in (folder / d).iterdir()]
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in report}


@given("a run of the golden fixture minimal_001")
def golden_run(world: dict[str, Any], tmp_path: Path) -> None:
    world["run"] = taps_only_copy(tmp_path / "run")


@when("the report is rendered")
def render(world: dict[str, Any]) -> None:
    render_report(world["run"])
    world["md"] = (world["run"] / "report.md").read_text(encoding="utf-8")
    world["first"] = digests(world["run"])


@when("the report is rendered again from run.duckdb")
def render_again(world: dict[str, Any]) -> None:
    rerender(world["run"])


@then(parsers.parse('the table "{title}" reads'))
def table_reads(world: dict[str, Any], title: str, datatable: list[list[str]]) -> None:
    header, *expected = datatable
    rows = md_table(world["md"], title)
    assert [{k: row[k] for k in header} for row in rows] == [dict(zip(header, r, strict=True)) for r in expected]


@then(parsers.parse('the CSV "{name}" has the row "{row}"'))
def csv_row(world: dict[str, Any], name: str, row: str) -> None:
    lines = (world["run"] / "report_tables" / f"{name}.csv").read_text(encoding="utf-8").splitlines()
    assert row in lines


@then("the terms snippet reads")
def terms(world: dict[str, Any], datatable: list[list[str]]) -> None:
    text = world["md"].split("**Terms (snippet for the price page)**", 1)[1].split("###", 1)[0]
    lines = [line[2:] for line in text.splitlines() if line.startswith("> ")]
    assert lines == [row[0] for row in datatable[1:]]


@then(parsers.parse('the section "{title}" only says "{words}"'))
def only_says(world: dict[str, Any], title: str, words: str) -> None:
    text = section_text(world["md"], title).strip()
    assert text.endswith(f"{words}.") and "|" not in text and "€" not in text, text


@then("report.md, report.html, every chart and every report table are byte-identical")
def identical(world: dict[str, Any]) -> None:
    assert digests(world["run"]) == world["first"]
    assert len(world["first"]) > 20


@then("report.html needs no network and no JavaScript")
def self_contained(world: dict[str, Any]) -> None:
    html = (world["run"] / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html
    sources = re.findall(r'(?:src|href)="([^"]*)"', html)
    assert sources and all(s.startswith(("data:", "#")) for s in sources), sources
