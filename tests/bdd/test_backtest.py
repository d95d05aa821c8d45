"""Steps of specs/features/backtest.feature [OUT-17].

The published run is the session's golden run of minimal_001 (`previous_out` of tests/conftest.py,
via the generic step "an output folder holding a published run"); the actuals are written from the
scenario's docstring, and `d3 backtest` runs in-process like every other CLI scenario.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, scenarios, then, when

scenarios("backtest.feature")


@given(parsers.parse("the actuals file contains:"))
def given_actuals(cli_world: dict[str, Any], tmp_path: Path, docstring: str) -> None:
    path = tmp_path / "actuals.csv"
    path.write_text(docstring + "\n", encoding="utf-8")
    cli_world["actuals"] = path


def _backtest(cli_world: dict[str, Any], d3: Callable[..., Any], run: Path, out: Path) -> None:
    outcome = d3("backtest", "--run", run, "--actuals", cli_world["actuals"], "--out", out)
    cli_world["outcome"] = outcome
    cli_world.setdefault("backtest_outs", []).append(out)


@when("I backtest the published run")
def when_backtest(cli_world: dict[str, Any], d3: Callable[..., Any], tmp_path: Path) -> None:
    _backtest(cli_world, d3, cli_world["out"] / "latest", tmp_path / "bt-1")


@when("I backtest the published run again")
def when_backtest_again(cli_world: dict[str, Any], d3: Callable[..., Any], tmp_path: Path) -> None:
    _backtest(cli_world, d3, cli_world["out"] / "latest", tmp_path / "bt-2")


@when(parsers.parse('I backtest the folder "{{out}}" that holds the runs'))
def when_backtest_folder(cli_world: dict[str, Any], d3: Callable[..., Any], tmp_path: Path) -> None:
    _backtest(cli_world, d3, cli_world["out"], tmp_path / "bt-1")


def _folder(out: Path) -> Path:
    (folder,) = (out / "backtests").iterdir()
    return folder


def _lines(cli_world: dict[str, Any], name: str) -> list[str]:
    return (_folder(cli_world["backtest_outs"][-1]) / name).read_text(encoding="utf-8").splitlines()


@then(parsers.parse('backtest.csv has the row "{row}"'))
def then_row(cli_world: dict[str, Any], row: str) -> None:
    assert row in _lines(cli_world, "backtest.csv")


@then(parsers.parse('backtest_summary.csv has the row "{row}"'))
def then_summary_row(cli_world: dict[str, Any], row: str) -> None:
    assert row in _lines(cli_world, "backtest_summary.csv")


@then(parsers.parse('backtest.md shows the chart "{rel}"'))
def then_chart(cli_world: dict[str, Any], rel: str) -> None:
    folder = _folder(cli_world["backtest_outs"][-1])
    assert f"]({rel})" in (folder / "backtest.md").read_text(encoding="utf-8")
    assert (folder / rel).read_bytes().startswith(b"\x89PNG")


@then("both backtest folders are byte-identical")
def then_identical(cli_world: dict[str, Any]) -> None:
    first, second = (_folder(out) for out in cli_world["backtest_outs"])
    assert first.name == second.name

    def digest(folder: Path) -> dict[str, str]:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

    assert digest(first) == digest(second) and len(digest(first)) == 6


@then(parsers.parse('the actuals error "{code}" is on line {line:d} and names "{name}"'))
def then_actuals_error(cli_world: dict[str, Any], code: str, line: int, name: str) -> None:
    stderr = cli_world["outcome"].stderr
    prefix = f"ERROR [{code}] {cli_world['actuals']}:line {line}: "
    found = [ln for ln in stderr.splitlines() if prefix in ln]
    assert found, stderr
    assert name in found[0] and " — To fix this, " in found[0] and "Traceback" not in stderr


@then("no backtest folder was written")
def then_nothing(cli_world: dict[str, Any]) -> None:
    assert cli_world["outcome"].stdout == ""
    assert not any(out.exists() for out in cli_world["backtest_outs"])
