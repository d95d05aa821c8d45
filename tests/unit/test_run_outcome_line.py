"""The one human line `d3 run` writes on stderr at a terminal: where the outputs are, which checks failed.

A first-time user (2026-12-04) found that a run at a terminal ended with the warnings and the progress bar and
nothing else: no folder, no verdict of the acceptance checks (those were only in the JSON lines on stdout).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from harness import BUNDLES

from d3_engine.cli.commands import cmd_run, run_outcome_line

pytestmark = pytest.mark.e2e


def test_a_published_run_names_its_folder_and_the_failed_checks() -> None:
    seen = {
        "acceptance_checked": {"passed": True, "failed_error": [], "failed_warning": ["ACC-A6", "ACC-A12"]},
        "run_done": {"exit_code": 0, "run_dir": "outputs/abc"},
    }
    assert run_outcome_line(seen, 0) == (
        "d3 run: exit 0, published outputs/abc (report.md, acceptance.csv); acceptance checks failed: ACC-A6, ACC-A12"
    )


@pytest.mark.parametrize(
    ("verdict", "said"),
    [
        ("does not carry its loan", "the plan does not carry its loan"),
        ("carries its loan", "the plan carries its loan"),
        ("not tested", "the plan was not tested against its loan"),
    ],
)
def test_the_line_gives_the_plans_answer(tmp_path: Path, verdict: str, said: str) -> None:
    """The question d3 answers, on the command line (a new user saw exit 0 and "published" and had to open the
    report to learn that the plan fails): consolidated_summary.json's verdict [OUT-5]."""
    (tmp_path / "consolidated_summary.json").write_text(json.dumps({"verdict": verdict}), encoding="utf-8")
    seen = {
        "acceptance_checked": {"passed": False, "failed_error": ["ACC-A13"], "failed_warning": []},
        "run_done": {"exit_code": 4, "run_dir": str(tmp_path)},
    }
    assert run_outcome_line(seen, 4) == (
        f"d3 run: exit 4, published {tmp_path} (report.md, acceptance.csv); {said}; acceptance checks failed: ACC-A13"
    )


def test_a_reused_run_says_so_and_a_failed_run_writes_nothing_more() -> None:
    reused = {"run_reused": {"run_dir": "outputs/abc"}, "run_done": {"exit_code": 0, "run_dir": "outputs/abc"}}
    assert (
        run_outcome_line(reused, 0)
        == "d3 run: exit 0, reused the published run outputs/abc (report.md, acceptance.csv)"
    )
    assert run_outcome_line({"run_done": {"exit_code": 2, "run_dir": None}}, 2) is None


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_run_at_a_terminal_ends_with_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stderr = _Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    code = cmd_run(BUNDLES["minimal_001"], tmp_path / "out", None, None, None, 1, 5000, False, False)
    last = stderr.getvalue().strip().splitlines()[-1]
    assert code == 0
    assert last.startswith(f"d3 run: exit 0, published {tmp_path / 'out'}")
    verdict = json.loads((tmp_path / "out" / "latest" / "consolidated_summary.json").read_text())["verdict"]
    assert f"; the plan {verdict}" in last or verdict == "not tested"
    assert "acceptance checks failed" in last or "every acceptance check passed" in last
