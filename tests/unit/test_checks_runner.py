"""The acceptance check runner without a run: header parsing, skip reasons in the words of [ACC-0], pass
rates rounded once to 4 decimals ([GEN-4]), numeric check order ([GEN-6]), the summary block and exit code."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from d3_engine.checks import runner as checks
from d3_engine.core.errors import RuntimeFailure

CHECK = """-- check: ACC-A12
-- severity: warning
-- series: rep
-- rule: something holds [ACC-A12]
-- skip: not_run:public targets_null:min_monthly_dscr,min_cash_floor_eur
SELECT 'dscr' AS part, 'part=dscr' AS detail_key WHERE {{ var('flag') }}
-- @paths
SELECT 7 AS path_id WHERE {{ var('flag') }}
"""


def write(tmp_path: Path, text: str, name: str = "x__y.sql") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_and_both_queries_are_parsed(tmp_path: Path) -> None:
    check = checks.parse_check(write(tmp_path, CHECK))
    assert (check.check_id, check.severity, check.series, check.number) == ("ACC-A12", "warning", "rep", 12)
    assert check.skip == ["not_run:public", "targets_null:min_monthly_dscr,min_cash_floor_eur"]
    assert check.paths_query is not None and "path_id" in check.paths_query
    assert "@paths" not in check.query


def test_a_check_without_severity_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuntimeFailure, match="lacks a valid"):
        checks.parse_check(write(tmp_path, "-- check: ACC-A1\nSELECT 1"))


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"pipelines": ["private"]}, "skipped: public not run"),
        ({"pipelines": ["public"], "min_monthly_dscr": None, "min_cash_floor_eur": None},
         "skipped: both targets null"),
        ({"pipelines": ["public"], "min_monthly_dscr": 1.2, "min_cash_floor_eur": None}, None),
        ({"pipelines": ["public"], "min_monthly_dscr": None, "min_cash_floor_eur": 0.0}, None),
    ],
)  # fmt: skip
def test_first_applicable_skip_condition_wins(tmp_path: Path, state: dict[str, object], reason: str | None) -> None:
    assert checks.skip_reason(checks.parse_check(write(tmp_path, CHECK)), state) == reason


def test_every_skip_kind_has_acc_0_words() -> None:
    assert checks.SKIP_REASONS == {
        "not_run": "{arg} not run",
        "target_null": "target null",
        "flag_false": "flag false",
        "nothing_simulated": "nothing simulated",
        "targets_null": "both targets null",
    }


@pytest.mark.parametrize(
    ("total", "failing", "rate"),
    [(1, 0, "100.0000"), (1, 1, "0.0000"), (3, 1, "66.6667"), (3, 2, "33.3333"), (8, 1, "87.5000"),
     (1250, 1250, "0.0000"), (30000, 1, "99.9967")],
)  # fmt: skip
def test_pass_rate_is_the_exact_quotient_rounded_once(total: int, failing: int, rate: str) -> None:
    assert checks._pass_rate(total, failing) == Decimal(rate)


def test_evaluate_reports_violations_paths_and_detail(tmp_path: Path) -> None:
    check = checks.parse_check(write(tmp_path, CHECK))
    con = duckdb.connect()
    state = {"pipelines": ["public"], "min_monthly_dscr": 1.2}
    failed = checks.evaluate(con, check, {"flag": "true"}, 4, False, state)
    assert failed.row() == ["ACC-A12", "warning", "warning", "fail", "rep", 1, 4, 1, Decimal("75.0000"),
                            "violations=1; first: part=dscr"]  # fmt: skip
    passed = checks.evaluate(con, check, {"flag": "false"}, 4, True, state)
    assert passed.row() == ["ACC-A12", "warning", "error", "pass", "rep", 0, 4, 0, Decimal("100.0000"), ""]
    assert checks.acceptance_exit_code([failed, passed]) == 0
    escalated = checks.evaluate(con, check, {"flag": "true"}, 4, True, state)
    assert checks.acceptance_exit_code([passed, escalated]) == 4
    block = checks.acceptance_block([failed, escalated])
    assert block["passed"] is False
    assert [c["effective_severity"] for c in block["checks"]] == ["warning", "error"]
    assert checks.failed_with([failed, escalated], "warning") == ["ACC-A12"]


def test_a_broken_check_is_an_engine_error_naming_the_file(tmp_path: Path) -> None:
    check = checks.parse_check(write(tmp_path, CHECK.replace("WHERE {{ var('flag') }}", "FROM nowhere", 1)))
    with pytest.raises(RuntimeFailure, match=r"ACC-A12 \(x__y.sql\)"):
        checks.evaluate(
            duckdb.connect(), check, {"flag": "true"}, 1, False, {"pipelines": ["public"], "min_monthly_dscr": 1}
        )


def test_checks_are_discovered_in_numeric_order(tmp_path: Path) -> None:
    (tmp_path / "checks").mkdir()
    for n in (10, 2, 12, 1):
        write(tmp_path / "checks", CHECK.replace("ACC-A12", f"ACC-A{n}"), f"m{n}__rule.sql")
    assert [c.check_id for c in checks.discover_checks(tmp_path)] == ["ACC-A1", "ACC-A2", "ACC-A10", "ACC-A12"]
