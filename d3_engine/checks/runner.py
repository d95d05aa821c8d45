"""Acceptance checks: SQL assertions that return violating rows, and their runner (DOMAIN ACC-0).

A check file `sql/checks/<model>__<rule>.sql` starts with a header and holds one or two queries:

```sql
-- check: ACC-A5
-- severity: warning
-- series: rep                      (p50 | rep | empty)
-- rule: instances_needed ≤ max_instances_per_model … [ACC-A5]
-- skip: not_run:public             (conditions, first that applies wins; see SKIP_REASONS)
SELECT … , '<name=value …>' AS detail_key FROM … ORDER BY <grain>    -- violating rows, in grain order
-- @paths
SELECT DISTINCT path_id FROM …                                       -- optional: paths failing the condition
```

Zero violating rows = pass. When the `-- @paths` query is present the runner reports
paths_evaluated = N, paths_failing and pass_rate_pct; otherwise those cells stay empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.files import sql_dir
from d3_engine.models.render import render_text

if TYPE_CHECKING:
    import duckdb

HEADER = re.compile(r"^--\s*(check|severity|series|rule|skip):\s*(.*)$")
ACCEPTANCE_HEADER = [
    "check_id",
    "severity",
    "effective_severity",
    "status",
    "series",
    "violations",
    "paths_evaluated",
    "paths_failing",
    "pass_rate_pct",
    "detail",
]
SKIP_REASONS = {
    "not_run": "{arg} not run",
    "target_null": "target null",
    "flag_false": "flag false",
    "nothing_simulated": "nothing simulated",
    "targets_null": "both targets null",
}


@dataclass(frozen=True)
class Check:
    """One acceptance check file."""

    check_id: str
    severity: str
    series: str
    rule: str
    skip: list[str]
    query: str
    paths_query: str | None
    path: Path

    @property
    def number(self) -> int:
        return int(self.check_id.rsplit("A", 1)[-1])


@dataclass
class CheckResult:
    """One row of acceptance.csv."""

    check: Check
    effective_severity: str
    status: str
    violations: int | None
    paths_evaluated: int | None
    paths_failing: int | None
    pass_rate_pct: Decimal | None
    detail: str

    def row(self) -> list[Any]:
        c = self.check
        return [
            c.check_id,
            c.severity,
            self.effective_severity,
            self.status,
            c.series,
            self.violations,
            self.paths_evaluated,
            self.paths_failing,
            self.pass_rate_pct,
            self.detail,
        ]


def parse_check(path: Path) -> Check:
    """Read a check file's header and queries."""
    text = path.read_text(encoding="utf-8")
    fields: dict[str, str] = {}
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            fields[match[1]] = match[2].strip()
    if "check" not in fields or fields.get("severity") not in ("error", "warning"):
        raise RuntimeFailure(f"check file {path.name} lacks a valid `check:`/`severity:` header")
    main, _, paths = text.partition("-- @paths")
    return Check(
        fields["check"],
        fields["severity"],
        fields.get("series", ""),
        fields.get("rule", ""),
        fields.get("skip", "").split(),
        main,
        paths.strip() or None,
        path,
    )


def discover_checks(root: Path | None = None) -> list[Check]:
    """Every check under sql/checks, in ACC-A1 … ACC-A13 numeric order."""
    checks = [parse_check(p) for p in sorted(((root or sql_dir()) / "checks").glob("*.sql"))]
    return sorted(checks, key=lambda c: c.number)


def skip_reason(check: Check, state: dict[str, Any]) -> str | None:
    """First skip condition that applies, in the words of ACC-0, or None.

    `state` holds `pipelines`, the run_settings targets by name, and `simulated` (autoscaler rows).
    """
    for condition in check.skip:
        kind, _, arg = condition.partition(":")
        applies = (
            (kind == "not_run" and arg not in state["pipelines"])
            or (kind == "target_null" and state.get(arg) is None)
            or (kind == "flag_false" and state.get(arg) is False)
            or (kind == "nothing_simulated" and not state.get("simulated"))
            or (kind == "targets_null" and all(state.get(a) is None for a in arg.split(",")))
        )
        if applies:
            return "skipped: " + SKIP_REASONS[kind].format(arg=arg)
    return None


def _pass_rate(total: int, failing: int) -> Decimal:
    """100·(N − failing)/N, the exact quotient rounded once to 4 decimals (GEN-4)."""
    return (Decimal(100 * (total - failing)) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def evaluate(
    con: duckdb.DuckDBPyConnection,
    check: Check,
    variables: dict[str, Any],
    total_paths: int,
    fail_on_warning: bool,
    state: dict[str, Any],
) -> CheckResult:
    """Run one check and turn its rows into an acceptance row."""
    effective = "error" if fail_on_warning else check.severity
    reason = skip_reason(check, state)
    if reason is not None:
        return CheckResult(check, effective, "skipped", 0, None, None, None, reason)
    try:
        rows = con.execute(render_text(check.query, variables, check.check_id)).fetchall()
        columns = [d[0] for d in con.description or []]
        failing = None
        if check.paths_query:
            failing = len(con.execute(render_text(check.paths_query, variables, check.check_id)).fetchall())
    except Exception as exc:  # a broken check is an engine bug: name it
        raise RuntimeFailure(f"acceptance check {check.check_id} ({check.path.name}) failed: {exc}") from exc
    detail = ""
    if rows:
        key = rows[0][columns.index("detail_key")] if "detail_key" in columns else ""
        detail = f"violations={len(rows)}; first: {key}"
    evaluated = total_paths if failing is not None else None
    rate = _pass_rate(total_paths, failing) if failing is not None else None
    return CheckResult(check, effective, "fail" if rows else "pass", len(rows), evaluated, failing, rate, detail)


def run_checks(
    con: duckdb.DuckDBPyConnection,
    run_dir: Path,
    variables: dict[str, Any],
    total_paths: int,
    fail_on_warning: bool,
    state: dict[str, Any],
) -> list[CheckResult]:
    """Evaluate every check, write acceptance.csv and the `acceptance` table."""
    from d3_engine.core.db import create_described_table
    from d3_engine.core.formats import write_csv

    results = [evaluate(con, c, variables, total_paths, fail_on_warning, state) for c in discover_checks()]
    write_csv(run_dir / "acceptance.csv", ACCEPTANCE_HEADER, [r.row() for r in results])
    rows = [[*r.row(), r.check.rule] for r in results]
    columns = {name: [row[i] for row in rows] for i, name in enumerate(ACCEPTANCE_COLUMNS)}
    create_described_table(
        con, "acceptance", "rows of acceptance.csv plus each check's rule [ACC-0]", ACCEPTANCE_COLUMNS, columns
    )
    return results


ACCEPTANCE_COLUMNS = {
    "check_id": ("VARCHAR", "ACC-A1 … ACC-A12 [ACC-0] [unit: id]"),
    "severity": ("VARCHAR", "the check's own severity: error or warning [ACC-0] [unit: text]"),
    "effective_severity": ("VARCHAR", "error when fail_on_warning is on, else severity [ACC-0] [unit: text]"),
    "status": ("VARCHAR", "pass, fail or skipped [ACC-0] [unit: text]"),
    "series": ("VARCHAR", "what the check reads: p50, rep or empty (every path or set) [ACC-0] [unit: text]"),
    "violations": ("BIGINT", "violating rows of the check's query on what it is evaluated on [ACC-0] [unit: count]"),
    "paths_evaluated": ("BIGINT", "N, the paths evaluated; null for rep-only and skipped checks [ACC-0] [unit: count]"),
    "paths_failing": ("BIGINT", "paths on which the condition fails in some row [ACC-0] [unit: count]"),
    "pass_rate_pct": ("DECIMAL(9,4)", "100 · (N − paths_failing) / N [ACC-0] [unit: percent]"),
    "detail": (
        "VARCHAR",
        "empty on pass; skipped: <reason>; or violations=<n>; first: <grain key> [ACC-0] [unit: text]",
    ),
    "rule": ("VARCHAR", "the condition the check tests, in words [unit: text]"),
}
"""The `acceptance` table: column → (type, description)."""


def acceptance_block(results: list[CheckResult]) -> dict[str, Any]:
    """run_summary.acceptance (OUT-7)."""
    return {
        "passed": not failed_with(results, "error"),
        "checks": [
            {
                "id": r.check.check_id,
                "status": r.status,
                "severity": r.check.severity,
                "effective_severity": r.effective_severity,
            }
            for r in results
        ],
    }


def failed_with(results: list[CheckResult], severity: str) -> list[str]:
    """Ids of failed checks of a given effective severity."""
    return [r.check.check_id for r in results if r.status == "fail" and r.effective_severity == severity]


def check_state(con: duckdb.DuckDBPyConnection, pipelines: list[str]) -> dict[str, Any]:
    """What the skip rules look at: pipelines, the targets of run_settings, whether anything was simulated."""
    cursor = con.execute("SELECT * FROM run_settings")
    row = cursor.fetchall()[0]
    state: dict[str, Any] = dict(zip([d[0] for d in cursor.description or []], row, strict=True))
    state["pipelines"] = pipelines
    simulated = False
    if "public" in pipelines:
        count = con.execute(
            "SELECT count(*) FROM public_autoscaling_summary WHERE model <> 'ALL' AND months_simulated > 0"
        ).fetchall()[0][0]
        simulated = count > 0
    state["simulated"] = simulated
    return state


def acceptance_exit_code(results: list[CheckResult]) -> int:
    """4 when any check fails with effective severity error (ACC-0), else 0."""
    from d3_engine.core.errors import EXIT_ACCEPTANCE, EXIT_OK

    return EXIT_ACCEPTANCE if failed_with(results, "error") else EXIT_OK
