"""Acceptance checks end to end on the public tap: one `d3 run` of minimal_001 with three public limits
broken at once fails exactly ACC-A5, ACC-A7, ACC-A8 and ACC-A9 (warnings: exit 0, artefacts published) beside
the baseline's ACC-A6 [ACC-0] [CLI-2] [EX-10].

- `autoscaling.max_instances_per_model: 1`: [EX-5] Small 7B needs 2 instances in month 3 → ACC-A5; the
  autoscaler cannot add the second replica, so demand exceeds capacity in 337 steps → ACC-A7 [PUB-12].
- `max_cap_eur_per_1k: 0.0012` < Large 30B's raw price 0.00168229 (Small stays at its floor 0.001) → ACC-A8.
- `stress.provider_price_drift_pct: 1000`: the stressed cost exceeds both prices (Small 2.12 > 1.00 €/1M) → ACC-A9.

ACC-A4, ACC-A12, escalation and single-tap runs are end-to-end scenarios of specs/features/acceptance.feature;
every check's passing and failing rows are tested on corrupted tables in tests/sql/test_checks_sql.py.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import run_d3

pytestmark = pytest.mark.e2e  # one whole `d3 run` of a changed fixture

MINIMAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "minimal_001"


Outcome = tuple[int, list[dict[str, Any]], dict[str, dict[str, str]]]
"""(exit code, JSONL events, acceptance.csv rows by check id)."""


def set_key(path: Path, dotted: str, value: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    node = data
    *parents, last = dotted.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    root = tmp_path_factory.mktemp("checks-cli")
    inputs = root / "inputs"
    shutil.copytree(MINIMAL, inputs)
    set_key(inputs / "operator/public_tap.yaml", "autoscaling.max_instances_per_model", 1)
    set_key(inputs / "operator/public_tap.yaml", "pricing_policy.public_tap.max_cap_eur_per_1k", 0.0012)
    set_key(inputs / "simulation.yaml", "stress.provider_price_drift_pct", 1000)
    run = run_d3("run", "--inputs", inputs, "--out", root / "out")
    assert "Traceback" not in run.stderr, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert events[-1]["event"] == "run_done" and events[-1]["exit_code"] == run.exit_code
    with (Path(events[-1]["run_dir"]) / "acceptance.csv").open(encoding="utf-8", newline="") as fh:
        rows = {r["check_id"]: r for r in csv.DictReader(fh)}
    return run.exit_code, events, rows


def failing(rows: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {k: (r["effective_severity"], r["detail"]) for k, r in rows.items() if r["status"] == "fail"}


def test_only_the_broken_checks_fail_and_the_run_exits_0(outcome: Outcome) -> None:
    code, events, rows = outcome
    assert code == 0
    assert sorted(failing(rows)) == ["ACC-A5", "ACC-A6", "ACC-A7", "ACC-A8", "ACC-A9"]
    checked = next(e for e in events if e["event"] == "acceptance_checked")
    assert (checked["passed"], checked["failed_error"]) == (True, [])
    assert checked["failed_warning"] == ["ACC-A5", "ACC-A6", "ACC-A7", "ACC-A8", "ACC-A9"]
    assert (Path(events[-1]["run_dir"]) / "consolidated_kpis.csv").is_file()


def test_a5_max_instances(outcome: Outcome) -> None:
    rows = outcome[2]
    assert failing(rows)["ACC-A5"] == ("warning", "violations=1; first: month=3 model=Small 7B")
    assert (rows["ACC-A5"]["paths_evaluated"], rows["ACC-A5"]["paths_failing"]) == ("1", "1")
    assert rows["ACC-A5"]["pass_rate_pct"] == "0.0000"


def test_a7_sla_violations_when_the_autoscaler_hits_its_maximum(outcome: Outcome) -> None:
    rows = outcome[2]
    assert failing(rows)["ACC-A7"] == ("warning", "violations=1; first: model=Small 7B")
    assert rows["ACC-A7"]["paths_evaluated"] == ""  # rep path only [ACC-0]


def test_a8_cap_below_target(outcome: Outcome) -> None:
    detail = "violations=1; first: grid_index=0 replicate_index=0 model=Large 30B"
    assert failing(outcome[2])["ACC-A8"] == ("warning", detail)


def test_a9_huge_provider_drift(outcome: Outcome) -> None:
    detail = "violations=2; first: grid_index=0 replicate_index=0 model=Large 30B"
    assert failing(outcome[2])["ACC-A9"] == ("warning", detail)


def test_a6_is_the_baseline_warning(outcome: Outcome) -> None:
    assert failing(outcome[2])["ACC-A6"] == ("warning", "violations=1; first: model=Large 30B")
