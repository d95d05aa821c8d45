"""The `d3` command line: help, version, schema, exit codes 0/2/3, usage errors, SIGTERM [CLI-1, CLI-2, OUT-11]."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer

from d3_engine import ENGINE_VERSION
from d3_engine.cli.app import app
from d3_engine.core.files import schemas_dir

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_the_cli_offers_the_commands_of_the_spec() -> None:
    assert set(COMMANDS) == {
        "run",
        "validate",
        "schema",
        "report",
        "sql",
        "init",
        "backtest",
        "runs",
        "compare",
    }  # [V12-10]


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help_with_an_example(command: str | None, d3: Callable[..., Any]) -> None:
    """[CLI-1]: `--help` on every command; house style: a command without an example fails this test."""
    outcome = d3(*([command] if command else []), "--help")
    assert outcome.exit_code == 0
    assert "Example: d3 " + (command or "") in outcome.stdout, outcome.stdout


def test_version(d3: Callable[..., Any]) -> None:
    """[CLI-1]: `d3 --version` prints `d3 <version>`."""
    outcome = d3("--version")
    assert (outcome.exit_code, outcome.stdout) == (0, f"d3 {ENGINE_VERSION}\n")
    assert ENGINE_VERSION == "0.1.0"


def test_python_dash_m_is_the_same_command() -> None:
    """[CLI-1]: `python -m d3_engine.cli.app` and `d3` are equivalent."""
    proc = subprocess.run(
        [sys.executable, "-m", "d3_engine.cli.app", "--version"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert (proc.returncode, proc.stdout) == (0, "d3 0.1.0\n")


def test_the_installed_executable_keeps_the_contract(minimal: Any, d3: Callable[..., Any]) -> None:
    """The `d3` console script in its own process: exit codes and JSON lines as in-process [CLI-2, OUT-11]."""
    good = d3("validate", "--inputs", minimal.root, spawn=True)
    assert good.exit_code == 0 and good.assert_contract()[-1]["exit_code"] == 0
    minimal.set_key("operator/general.yaml", "loan.repayment_type", "balloon")
    bad = d3("validate", "--inputs", minimal.root, spawn=True)
    assert bad.exit_code == 2 and bad.assert_contract()
    usage = d3("run", "--seed", "abc", spawn=True)
    assert usage.exit_code == 2 and [e["event"] for e in usage.assert_contract()] == ["error", "run_done"]


def test_schema_prints_every_input_schema_keyed_by_file(d3: Callable[..., Any]) -> None:
    """[CLI-1], [IN-3]: one JSON object keyed by schema file, equal to specs/schemas."""
    outcome = d3("schema")
    assert outcome.exit_code == 0
    printed = json.loads(outcome.stdout)
    files = sorted(p.name for p in schemas_dir().glob("*.json"))
    assert sorted(printed) == files and len(files) == 15  # [V12-1] adds market_api_prices
    assert printed["simulation.v1.json"] == json.loads((schemas_dir() / "simulation.v1.json").read_text())


def test_schema_out_writes_one_file_per_schema(d3: Callable[..., Any], tmp_path: Path) -> None:
    outcome = d3("schema", "--out", tmp_path / "schemas")
    assert outcome.exit_code == 0 and outcome.stdout == ""
    written = sorted((tmp_path / "schemas").iterdir())
    assert [p.name for p in written] == sorted(p.name for p in schemas_dir().glob("*.json"))
    for path in written:
        assert json.loads(path.read_text()) == json.loads((schemas_dir() / path.name).read_text())


def test_schema_out_that_cannot_be_written_exits_3_plainly(d3: Callable[..., Any], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    outcome = d3("schema", "--out", blocker / "sub")
    assert outcome.exit_code == 3
    assert "cannot write" in outcome.stderr and "Traceback" not in outcome.stderr


@pytest.mark.parametrize("bundle", ["inputs", "minimal_001"])
def test_validate_accepts_the_shipped_inputs_and_the_golden_fixture(
    bundle: str, bundle_copy: Callable[..., Any], d3: Callable[..., Any]
) -> None:
    """[DEF-1], [EX-1]: exit 0; stdout is JSON lines ending with run_done; nothing is written."""
    inputs = bundle_copy(bundle)
    before = sorted(p.relative_to(inputs.root) for p in inputs.root.rglob("*"))
    outcome = d3("validate", "--inputs", inputs.root)
    assert outcome.exit_code == 0, outcome.stderr
    events = outcome.assert_contract()
    assert [e["event"] for e in events][:3] == ["run_start", "load_start", "validate_start"]
    assert outcome.of("validate_done")[0]["errors"] == 0
    assert "is valid" in outcome.stderr
    assert sorted(p.relative_to(inputs.root) for p in inputs.root.rglob("*")) == before


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--seed", "abc"),
        ("run", "--max-concurrency", "0"),
        ("validate", "--bogus"),
        ("run", "--paths-per-batch", "-1"),
    ],
)
def test_usage_errors_exit_2_and_still_end_with_run_done(args: tuple[str, ...], d3: Callable[..., Any]) -> None:
    """[CLI-2]: a usage error reported by the parser is exit 2; [OUT-11]: run_done is the last stdout line."""
    outcome = d3(*args)
    assert outcome.exit_code == 2
    events = outcome.assert_contract()
    assert [e["event"] for e in events] == ["error", "run_done"]
    assert events[0]["kind"] == "VALIDATION_ERROR" and "Usage: d3" in outcome.stderr


def test_report_without_a_run_folder_is_exit_2(d3: Callable[..., Any], tmp_path: Path) -> None:
    """[CLI-1] `d3 report --run DIR` needs DIR/run.duckdb; otherwise a plain exit 2 and run_done."""
    outcome = d3("report", "--run", tmp_path / "nowhere")
    assert outcome.exit_code == 2
    assert [e["event"] for e in outcome.assert_contract()] == ["run_start", "error", "run_done"]
    assert "holds no run.duckdb" in outcome.stderr


def test_unknown_command_is_a_usage_error(d3: Callable[..., Any]) -> None:
    outcome = d3("bogus")
    assert outcome.exit_code == 2 and "No such command 'bogus'" in outcome.stderr


def test_unexpected_failures_exit_3_with_a_traceback_only_under_debug(
    minimal: Any, tmp_path: Path, d3: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """[CLI-2]: RUNTIME_ERROR is exit 3; `--debug` adds the traceback on stderr, otherwise none is shown."""
    import d3_engine.pipeline.run as run_module

    def broken(*args: Any) -> int:
        raise ZeroDivisionError("engine bug")

    monkeypatch.setattr(run_module, "_build", broken)
    plain = d3("run", "--inputs", minimal.root, "--out", tmp_path / "a")
    assert plain.exit_code == 3 and "Traceback" not in plain.stderr
    assert "ZeroDivisionError: engine bug" in plain.stderr and "--debug" in plain.stderr
    plain.assert_contract()
    debug = d3("run", "--inputs", minimal.root, "--out", tmp_path / "b", "--debug")
    assert debug.exit_code == 3 and "Traceback" in debug.stderr
    assert json.loads(debug.stdout.splitlines()[-1])["event"] == "run_done"


@pytest.mark.e2e
def test_sigterm_during_a_run_exits_3_and_leaves_no_staging(bundle_copy: Callable[..., Any], tmp_path: Path) -> None:
    """[CLI-2], [OUT-2]: SIGTERM → error INTERRUPTED, exit 3, no staging folder, nothing published."""
    inputs = bundle_copy("inputs")  # the shipped plan (5 000 paths × 60 months) runs long enough to be stopped
    out = tmp_path / "out"
    d3 = Path(sys.executable).parent / "d3"
    proc = subprocess.Popen(
        [str(d3), "run", "--inputs", str(inputs.root), "--out", str(out), "--seed", "11"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:  # the staging folder exists once the plan is built
        lines.append(line)
        if json.loads(line)["event"] == "grid_built":
            break
    assert any(p.name.startswith(".staging-") for p in out.iterdir())
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    rest, stderr = proc.communicate(timeout=120)
    events = [json.loads(x) for x in lines + rest.splitlines()]
    assert proc.returncode == 3, stderr
    assert events[-1]["event"] == "run_done" and events[-1]["exit_code"] == 3
    assert events[-2]["event"] == "error" and events[-2]["kind"] == "INTERRUPTED"
    assert "Traceback" not in stderr
    assert "SIGTERM" in events[-2]["message"]
    assert [p.name for p in out.iterdir()] == ["ledger.jsonl"]  # no staging folder, no run folder, no latest
    (line,) = (out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()  # [OUT-15]: the run is recorded
    assert json.loads(line)["exit_code"] == 3


def test_a_cli_seed_has_the_range_of_a_seed_in_an_input_file() -> None:
    """--seed accepts what an input file can hold (a YAML integer up to 2⁶³ − 1) and nothing larger [RNG-1]."""
    from d3_engine.cli.app import SEED_MAX
    from d3_engine.inputs.parse import MAX_INT

    assert SEED_MAX == MAX_INT
