"""Kills at ~30 instants of a small run (minimal_001) [OUT-2], [OUT-15], [V12-6], [V12-10], issue 14.

A warm driver process (tests/chaos/driver.py) forks one `d3 run` per case and sends it SIGKILL,
SIGTERM or SIGINT at an instant: at an event, just before or after one step of publishing (the
new-name rename, the exchange, the `latest` switch, the deletion of the earlier copy), inside the
ledger write, inside a reuse, during the start-up sweep, or after a measured delay (so inside a DuckDB
query). After every kill:
- the previous run P is byte-identical (every file, run.duckdb included);
- `latest` points at a run folder that verifies (marker, SHA256SUMS, run.duckdb opens read-only);
- a killed run folder that got published verifies too, and the ledger reads;
- SIGTERM and SIGINT end with exit 3, the INTERRUPTED `error` event and `run_done` last, no traceback,
  and leave nothing behind; after a SIGKILL, the next `d3 run` leaves no staging folder, temporary link
  or moved-aside run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import StandardRun

from d3_engine.export.ledger import read
from d3_engine.export.verify import verify_problem

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "minimal_001"
DRIVER = Path(__file__).with_name("driver.py")
SEED_B = "8"
LEFTOVER_PREFIXES = (".staging-", ".latest-", ".old-")

pytestmark = pytest.mark.e2e  # every case runs (and kills) real `d3 run` processes


class Driver:
    """The warm process that forks the runs to kill."""

    def __init__(self, work: Path) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, str(DRIVER), "serve", str(work)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        assert json.loads(self._line())["ready"]

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the chaos driver died"
        return line

    def run(
        self, args: list[str], kill: dict[str, Any] | None = None, fast_build: Path | None = None, here: bool = False
    ) -> dict[str, Any]:
        """A forked `d3 <args>` (killed as `kill` says), or with `here` a whole run in the driver itself, which
        leaves it warm for the forks that follow."""
        assert self.proc.stdin is not None
        request = {"args": args, "kill": kill, "fast_build": str(fast_build) if fast_build else None, "here": here}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self._line())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@dataclass
class Stage:
    """The output folder under test: P (seed 7) published, B (seed 8) computed once and cached."""

    out: Path
    driver: Driver
    p_id: str
    b_id: str
    p_digest: dict[str, str]
    cache_p: Path
    cache_b: Path

    def args(self, seed: str, *extra: str) -> list[str]:
        return ["run", "--inputs", str(MINIMAL), "--out", str(self.out), "--seed", seed, *extra]


def _digest(folder: Path) -> dict[str, str]:
    import hashlib

    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _published(outcome: dict[str, Any]) -> str:
    assert outcome["exit_code"] == 0, outcome["stdout"][-3000:] + outcome["stderr"]
    return Path(json.loads(outcome["stdout"].splitlines()[-1])["run_dir"]).name


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory, minimal_std: StandardRun) -> Iterator[Stage]:
    """P is the session's published run of minimal_001 (seed 7, copied); B is computed once here."""
    work = tmp_path_factory.mktemp("chaos")
    driver = Driver(work)
    try:
        out = work / "out"
        shutil.copytree(minimal_std.out, out, symlinks=True)
        p_id = os.readlink(out / "latest")
        b_args = ["run", "--inputs", str(MINIMAL), "--out", str(out), "--seed", SEED_B, "--quiet"]
        b_id = _published(driver.run(b_args, here=True))  # warms the driver: every fork below starts warm
        cache_p, cache_b = work / "cache-p", work / "cache-b"
        shutil.copytree(out / p_id, cache_p)
        shutil.move(out / b_id, cache_b)
        assert _published(driver.run(["run", "--inputs", str(MINIMAL), "--out", str(out), "--quiet"])) == p_id
        yield Stage(out, driver, p_id, b_id, _digest(out / p_id), cache_p, cache_b)
    finally:
        driver.close()


@dataclass(frozen=True)
class Kill:
    id: str
    signal: str
    kill: dict[str, Any]
    target: str = "B"  # B (forced), P (forced: the previous run itself) or reuse (P, not forced)
    fast: bool = False  # build by copying the cached run: the kill aims at publishing
    b_present: bool | None = None  # arrange that B is published (True) or absent (False) first
    after_done: bool = False  # the signal comes after `run_done` (the ledger line): the run has ended


PUB = "d3_engine.export.publish"
KILLS = [
    # the build itself, at events spread over the run
    Kill("run_start", "SIGINT", {"event": "run_start"}),
    Kill("validate_done", "SIGKILL", {"event": "validate_done"}),
    Kill("grid_built", "SIGTERM", {"event": "grid_built"}),
    Kill("model_1", "SIGKILL", {"event": "model_done", "nth": 1}),
    Kill("model_20", "SIGINT", {"event": "model_done", "nth": 20}),
    Kill("model_last", "SIGTERM", {"event": "model_done", "nth": 39}),
    Kill("acceptance", "SIGKILL", {"event": "acceptance_checked"}),
    Kill("exports_done", "SIGTERM", {"event": "aggregate_done"}),
    Kill("report", "SIGINT", {"target": "d3_engine.pipeline.run:render_report"}),
    Kill("sha256sums_written", "SIGKILL", {"target": "d3_engine.pipeline.run:write_sha256sums", "when": "after"}),
    # a signal from outside after a measured delay: inside DuckDB queries
    Kill("query_0.9s", "SIGINT", {"after_s": 0.9}),
    Kill("query_1.3s", "SIGTERM", {"after_s": 1.3}),
    # publishing a new name
    Kill("before_rename", "SIGKILL", {"target": f"{PUB}:rename_new"}, fast=True, b_present=False),
    Kill("after_rename", "SIGKILL", {"target": f"{PUB}:rename_new", "when": "after"}, fast=True, b_present=False),
    Kill("after_rename_term", "SIGTERM", {"target": f"{PUB}:rename_new", "when": "after"}, fast=True, b_present=False),
    Kill("before_rename_int", "SIGINT", {"target": f"{PUB}:rename_new"}, fast=True, b_present=False),
    # replacing a published run by an exchange (--force)
    Kill("before_exchange", "SIGKILL", {"target": f"{PUB}:exchange"}, fast=True, b_present=True),
    Kill("after_exchange", "SIGKILL", {"target": f"{PUB}:exchange", "when": "after"}, fast=True, b_present=True),
    Kill("after_exchange_int", "SIGINT", {"target": f"{PUB}:exchange", "when": "after"}, fast=True, b_present=True),
    Kill("old_copy_delete", "SIGKILL", {"target": f"{PUB}:remove_own"}, fast=True, b_present=True),
    Kill("exchange_of_p", "SIGKILL", {"target": f"{PUB}:exchange", "when": "after"}, target="P", fast=True),
    Kill("exchange_of_p_term", "SIGTERM", {"target": f"{PUB}:exchange"}, target="P", fast=True),
    # switching latest: between the new link and its rename, and after
    Kill("latest_link_made", "SIGKILL", {"target": "pathlib:Path.replace", "only": ".latest-"}, fast=True),
    Kill("latest_switched", "SIGTERM", {"target": f"{PUB}:swap_latest", "when": "after"}, fast=True),
    # the ledger line
    Kill("ledger_before_write", "SIGKILL", {"target": "d3_engine.export.ledger:append"}, fast=True),
    Kill("ledger_inside", "SIGKILL", {"target": "d3_engine.export.ledger:_json_line", "when": "after"}, fast=True),
    Kill(
        "ledger_term",
        "SIGTERM",
        {"target": "d3_engine.export.ledger:_json_line", "when": "after"},
        fast=True,
        after_done=True,
    ),
    # a reuse of P (no --force)
    Kill("reuse_verify", "SIGINT", {"target": "d3_engine.pipeline.reuse:reuse_problem"}, target="reuse"),
    Kill("reuse_switch", "SIGKILL", {"target": "d3_engine.pipeline.reuse:swap_latest"}, target="reuse"),
    # the start-up sweep of the next run
    Kill("sweep", "SIGKILL", {"target": "d3_engine.export.sweep:remove_own", "when": "after"}, target="reuse"),
]


def _arrange(stage: Stage, case: Kill) -> None:
    b = stage.out / stage.b_id
    if case.b_present is False and b.exists():
        shutil.rmtree(b)
    if case.b_present and not b.exists():
        shutil.copytree(stage.cache_b, b)
    if case.id == "sweep":  # leftovers of a dead process for the sweep to meet
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
        shutil.copytree(stage.cache_b, stage.out / f".staging-{stage.b_id}-{dead.stdout.strip()}")


def _request(stage: Stage, case: Kill) -> tuple[list[str], Path | None]:
    if case.target == "reuse":
        return stage.args("7"), None
    if case.target == "P":
        return stage.args("7", "--force"), stage.cache_p
    return stage.args(SEED_B, "--force"), stage.cache_b if case.fast else None


def _assert_clean_end(outcome: dict[str, Any], case: Kill) -> None:
    if case.signal == "SIGKILL":
        assert outcome["exit_code"] == -signal.SIGKILL, outcome
        return
    text = outcome["stdout"] + outcome["stderr"]
    assert "Traceback" not in text and "unexpected error" not in text, text
    events = [json.loads(line) for line in outcome["stdout"].splitlines()]
    assert events[-1]["event"] == "run_done" and events[-1]["exit_code"] == outcome["exit_code"], events[-3:]
    if case.after_done:  # run_done was written: exit code, run_done and the ledger line agree
        assert outcome["exit_code"] == 0 and not [e for e in events if e["event"] == "error"], outcome
        return
    assert outcome["exit_code"] == 3, outcome
    errors = [e for e in events if e["event"] == "error"]
    assert len(errors) == 1 and errors[0]["kind"] == "INTERRUPTED", errors


def _assert_published_state(stage: Stage, case: Kill) -> None:
    out = stage.out
    assert _digest(out / stage.p_id) == stage.p_digest or (
        case.target == "P" and verify_problem(out / stage.p_id) is None
    ), "the previous run changed"
    if case.target == "P":  # P itself was recomputed: every listed file is the same as before
        listed = {k: v for k, v in stage.p_digest.items() if k != "run.duckdb"}
        assert {k: v for k, v in _digest(out / stage.p_id).items() if k != "run.duckdb"} == listed
    latest = out / "latest"
    assert latest.is_symlink() and os.readlink(latest) in (stage.p_id, stage.b_id), "latest is not a run"
    assert verify_problem(latest.resolve()) is None, verify_problem(latest.resolve())
    if (out / stage.b_id).exists():
        assert verify_problem(out / stage.b_id) is None, "a half-published run"
    read(out)  # the ledger reads (a torn last line at most)


@pytest.mark.parametrize("case", KILLS, ids=[k.id for k in KILLS])
def test_a_kill_at_any_instant_loses_nothing(stage: Stage, case: Kill) -> None:
    _arrange(stage, case)
    args, cache = _request(stage, case)
    outcome = stage.driver.run(args, {**case.kill, "signal": case.signal}, cache if case.fast else None)
    _assert_clean_end(outcome, case)
    _assert_published_state(stage, case)
    if case.signal == "SIGKILL" or case.id == "sweep":  # only a process killed outright leaves something behind
        following = stage.driver.run(stage.args("7"))
        assert following["exit_code"] == 0, following["stderr"]
        assert '"run_reused"' in following["stdout"]
        _assert_published_state(stage, case)
        assert os.readlink(stage.out / "latest") == stage.p_id
    leftovers = [p.name for p in stage.out.iterdir() if p.name.startswith(LEFTOVER_PREFIXES)]
    assert not leftovers, leftovers  # SIGTERM/SIGINT: cleaned up by the run itself; SIGKILL: by the next run


def test_two_runs_of_the_same_id_at_once_into_one_out(stage: Stage) -> None:
    """Issue 14: both end cleanly (no OSError): one publishes, the other reuses it (or exchanges in an identical
    copy); the run verifies, `latest` points at it, nothing is left behind, the ledger has both lines. The race is
    in publishing: both build by copying B's cached run (`fast_build`), so they reach it within milliseconds."""
    b = stage.out / stage.b_id
    if b.exists():
        shutil.rmtree(b)
    lines_before = len(read(stage.out))
    assert stage.driver.proc.stdin is not None
    together = [stage.args(SEED_B, "--quiet"), stage.args(SEED_B, "--quiet")]
    request = {"together": together, "fast_build": str(stage.cache_b)}
    stage.driver.proc.stdin.write(json.dumps(request) + "\n")
    stage.driver.proc.stdin.flush()
    answers = json.loads(stage.driver._line())
    for answer in answers:
        assert answer["exit_code"] == 0, answer["stderr"]
        assert "Traceback" not in answer["stderr"] and "Errno" not in answer["stderr"], answer["stderr"]
    assert verify_problem(b) is None and os.readlink(stage.out / "latest") == stage.b_id
    assert not [p.name for p in stage.out.iterdir() if p.name.startswith(LEFTOVER_PREFIXES)]
    assert len(read(stage.out)) == lines_before + 2
    assert _digest(stage.out / stage.p_id) == stage.p_digest
