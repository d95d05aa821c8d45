"""The run ledger, reuse of a verified run, `--force` and `d3 runs` [OUT-15], [V12-6]."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import StandardRun, copy_build

from d3_engine.export.ledger import FIELDS, LEDGER_NAME, LedgerEntry, append, ledger_table, read, read_lines


def _ledger(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / LEDGER_NAME).read_text(encoding="utf-8").splitlines()]


def _run_id(out: Path) -> str:
    (name,) = [p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink()]
    return name


def _entry(run_id: str = "00112233445566aa") -> LedgerEntry:
    entry = LedgerEntry(engine_version="0.1.0", run_id=run_id, seed=7, paths=1, horizon_months=3)
    entry.inputs_sha256 = "a" * 64
    return entry


def test_a_line_holds_exactly_the_out_15_fields(tmp_path: Path) -> None:
    """[OUT-15]: the fields, UTC times with milliseconds, KPI fields null when nothing was published."""
    append(tmp_path, _entry(), 3)
    (line,) = _ledger(tmp_path)
    assert sorted(line) == sorted(FIELDS)
    assert line["exit_code"] == 3 and line["reused"] is False and line["cli_overrides"] == []
    for stamp in (line["started"], line["finished"]):
        assert len(stamp) == 24 and stamp.endswith("Z") and stamp[19] == "."
    assert all(line[k] is None for k in ("funding_gap_p50_eur", "extra_funding_p90_eur", "p_breach_any", "verdict"))


def test_appends_never_rewrite_and_readers_skip_every_torn_line(tmp_path: Path) -> None:
    """[OUT-15], [V12-6]: earlier bytes are never changed; a line that is not complete JSON is skipped
    wherever it is (a torn write, then later runs appending after it)."""
    append(tmp_path, _entry("aaaaaaaaaaaaaaaa"), 0)
    first = (tmp_path / LEDGER_NAME).read_bytes()
    with (tmp_path / LEDGER_NAME).open("ab") as fh:
        fh.write(b'{"run_id":"torn","started":"2026-')  # a kill in the middle of a write
    append(tmp_path, _entry("bbbbbbbbbbbbbbbb"), 0)
    with (tmp_path / LEDGER_NAME).open("ab") as fh:
        fh.write(b"\n[1,2]\nnot json\n\xff\xfe\n")
    append(tmp_path, _entry("cccccccccccccccc"), 4)
    assert (tmp_path / LEDGER_NAME).read_bytes().startswith(first)
    assert [e["run_id"] for e in read(tmp_path)] == ["aaaaaaaaaaaaaaaa", "cccccccccccccccc"]
    assert read(tmp_path / "missing") == []


def test_append_is_one_o_append_write_then_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[OUT-15]: exactly one write of the whole line on an O_APPEND descriptor, followed by fsync."""
    import d3_engine.export.ledger as ledger

    calls: list[tuple[str, Any]] = []
    real_open, real_write, real_fsync = os.open, os.write, os.fsync
    monkeypatch.setattr(ledger.os, "open", lambda p, f, m=0o777: calls.append(("open", f)) or real_open(p, f, m))
    monkeypatch.setattr(ledger.os, "write", lambda fd, b: calls.append(("write", b)) or real_write(fd, b))
    monkeypatch.setattr(ledger.os, "fsync", lambda fd: calls.append(("fsync", fd)) or real_fsync(fd))
    append(tmp_path, _entry(), 0)
    assert [c[0] for c in calls] == ["open", "write", "fsync"]
    assert calls[0][1] & os.O_APPEND and not calls[0][1] & os.O_TRUNC
    assert calls[1][1] == (tmp_path / LEDGER_NAME).read_bytes() and calls[1][1].count(b"\n") == 1


def test_the_table_lists_runs_oldest_first() -> None:
    entries = [
        {"run_id": "a" * 16, "started": "2026-01-01T00:00:00.000Z", "exit_code": 0, "reused": False, "seed": 7},
        {"run_id": "b" * 16, "started": "2026-01-02T00:00:00.000Z", "exit_code": 4, "reused": True, "verdict": "x\ny"},
    ]
    lines = ledger_table(entries).splitlines()
    assert lines[0].startswith("started (UTC)") and "a" * 16 in lines[1] and "b" * 16 in lines[2]
    assert "x\\ny" in lines[2] and len(lines) == 3
    assert ledger_table([]) == "no runs recorded yet\n"


# --- through the CLI, on the session's published run of minimal_001 ---------------------------------------------------


def test_a_rerun_reuses_the_verified_run_and_points_latest_at_it(
    minimal: Any, previous_out: Path, d3: Callable[..., Any], tree_digest: Callable[[Path], Any]
) -> None:
    """[OUT-15]: same inputs ⇒ `run_reused`, the recorded exit code, `latest` → the run, nothing recomputed."""
    run_id = _run_id(previous_out)
    (previous_out / "latest").unlink()
    (previous_out / "latest").symlink_to("elsewhere")
    before = {k: v for k, v in tree_digest(previous_out).items() if k.startswith(run_id)}
    outcome = d3("run", "--inputs", minimal.root, "--out", previous_out)
    assert outcome.exit_code == 0, outcome.stderr
    outcome.assert_contract()
    (reused,) = outcome.of("run_reused")
    assert reused["run_dir"] == str(previous_out / run_id) and reused["exit_code"] == 0
    assert not outcome.of("model_done") and os.readlink(previous_out / "latest") == run_id
    assert {k: v for k, v in tree_digest(previous_out).items() if k.startswith(run_id)} == before
    last = _ledger(previous_out)[-1]
    assert last["reused"] is True and last["run_id"] == run_id and last["funding_gap_p50_eur"] == 0
    assert '"funding_gap_p50_eur":0.00' in read_lines(previous_out)[-1][0]  # [OUT-3] exact decimals


@pytest.mark.parametrize("tamper", ["artefact", "duckdb", "engine"])
def test_a_run_that_does_not_verify_is_computed_again(
    tamper: str,
    minimal: Any,
    previous_out: Path,
    d3: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    minimal_std: StandardRun,
) -> None:
    """[OUT-15], [V12-6]: a changed artefact, an unreadable run.duckdb or another engine source ⇒ recompute
    (the build copies the session's run of the same inputs: what is tested is the decision and the publish)."""
    built = copy_build(monkeypatch, minimal_std)
    run_id = _run_id(previous_out)
    run_dir = previous_out / run_id
    if tamper == "artefact":
        (run_dir / "pnl_by_month.csv").write_text("changed\n", encoding="utf-8")
    elif tamper == "duckdb":
        (run_dir / "run.duckdb").write_bytes(b"not a database")
    else:
        import d3_engine.pipeline.reuse as reuse

        monkeypatch.setattr(reuse, "engine_source_sha256", lambda: "0" * 64)
    outcome = d3("run", "--inputs", minimal.root, "--out", previous_out)  # not --quiet: the INFO events count
    assert outcome.exit_code == 0, outcome.stderr
    assert not outcome.of("run_reused") and len(built) == 1
    assert len(outcome.of("run_not_reused")) == 1  # said once, not again after the compute
    from d3_engine.export.verify import verify_problem

    assert verify_problem(run_dir) is None and _ledger(previous_out)[-1]["reused"] is False


def test_force_recomputes_and_a_recorded_exit_4_is_reported_on_reuse(
    minimal: Any,
    previous_out: Path,
    d3: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    minimal_std: StandardRun,
) -> None:
    """[OUT-15]: `--force` computes again (its build a copy of the session's run of the same inputs); a reused run
    that exited 4 prints `error` before `run_done`."""
    built = copy_build(monkeypatch, minimal_std)
    forced = d3("run", "--inputs", minimal.root, "--out", previous_out, "--force", "--quiet")
    assert forced.exit_code == 0 and not forced.of("run_reused") and len(built) == 1
    run_id = _run_id(previous_out)
    import d3_engine.pipeline.reuse as reuse

    summary = json.loads((previous_out / run_id / "run_summary.json").read_text(encoding="utf-8"))
    summary_exit_4 = {**summary, "exit_code": 4}
    original = reuse.summary_of
    reuse.summary_of = lambda folder: summary_exit_4  # type: ignore[assignment]
    try:
        again = d3("run", "--inputs", minimal.root, "--out", previous_out)
    finally:
        reuse.summary_of = original
    assert again.exit_code == 4 and again.of("run_reused")
    events = again.assert_contract()
    assert events[-2]["event"] == "error" and events[-2]["kind"] == "ACCEPTANCE_FAILED"
    assert [e["exit_code"] for e in _ledger(previous_out)[-2:]] == [0, 4]


def test_d3_runs_prints_the_ledger(previous_out: Path, d3: Callable[..., Any], tmp_path: Path) -> None:
    """`d3 runs [--out DIR] [--json]` [OUT-15]: a table oldest first, or the ledger's JSON lines."""
    with (previous_out / LEDGER_NAME).open("ab") as fh:
        fh.write(b'{"run_id": "torn')
    table = d3("runs", "--out", previous_out)
    assert table.exit_code == 0 and table.stdout.splitlines()[0].startswith("started (UTC)")
    assert len(table.stdout.splitlines()) == 2
    as_json = d3("runs", "--out", previous_out, "--json")
    assert [json.loads(line)["exit_code"] for line in as_json.stdout.splitlines()] == [0]
    assert d3("runs", "--out", tmp_path / "none").exit_code == 2
    assert "Example: d3 runs --out outputs" in d3("runs", "--help").stdout


@pytest.mark.e2e
def test_a_set_run_has_its_own_id_and_is_never_reused_for_a_run_without_it(
    minimal: Any, previous_out: Path, d3: Callable[..., Any]
) -> None:
    """[IN-20] [V12-6]: `--set` enters the run id (compute_run_id's cli_overrides), run_summary and the ledger."""
    plain_id = _run_id(previous_out)
    pair = ["simulation.run.max_concurrency", "1"]
    with_set = d3("run", "--inputs", minimal.root, "--out", previous_out, "--set", "=".join(pair))
    assert with_set.exit_code == 0, with_set.stderr
    assert not with_set.of("run_reused") and with_set.of("model_done")
    set_dir = Path(with_set.events[-1]["run_dir"])
    assert set_dir.name != plain_id
    assert json.loads((set_dir / "run_summary.json").read_text(encoding="utf-8"))["cli_overrides"] == [pair]
    assert _ledger(previous_out)[-1]["cli_overrides"] == [pair] and _ledger(previous_out)[-1]["reused"] is False
    plain = d3("run", "--inputs", minimal.root, "--out", previous_out)
    (reused,) = plain.of("run_reused")
    assert reused["run_dir"] == str(previous_out / plain_id)
    assert _ledger(previous_out)[-1]["cli_overrides"] == [] and _ledger(previous_out)[-1]["run_id"] == plain_id
    again = d3("run", "--inputs", minimal.root, "--out", previous_out, "--set", "=".join(pair))
    (reused,) = again.of("run_reused")
    assert reused["run_dir"] == str(set_dir) and _ledger(previous_out)[-1]["cli_overrides"] == [pair]
