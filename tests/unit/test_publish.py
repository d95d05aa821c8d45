"""Publishing's publishing discipline: staging, marker, atomic replace, `latest` [OUT-1, OUT-2]."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import run_on_copy

from d3_engine.core.errors import Interrupted, RuntimeFailure
from d3_engine.export.publish import MARKER, compute_run_id, make_staging, publish, remove_own
from d3_engine.inputs.load import InputFile

RUN_ID = "00112233445566aa"


def _staged(out: Path, run_id: str = RUN_ID, text: str = "new") -> Path:
    staging = make_staging(out, run_id)
    (staging / "artefact.csv").write_text(text, encoding="utf-8")
    return staging


def test_run_id_is_the_first_16_hex_of_the_canonical_identity() -> None:
    """[OUT-1]: sha256 of canonical JSON (sorted keys, no spaces) of version, seed, sorted pipelines, flag, inputs."""
    files = [InputFile("b.csv", "2" * 64, 3), InputFile("a.yaml", "1" * 64, 5)]
    canonical = (
        '{"engine_version":"0.1.0","fail_on_warning":false,'
        f'"inputs":[["a.yaml","{"1" * 64}"],["b.csv","{"2" * 64}"]],"pipelines":["private","public"],"seed":7}}'
    )
    expected = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    assert compute_run_id("0.1.0", 7, ["public", "private"], False, files) == expected
    assert compute_run_id("0.1.0", 8, ["public", "private"], False, files) != expected


def test_staging_folder_carries_the_marker(tmp_path: Path) -> None:
    staging = make_staging(tmp_path / "out", RUN_ID)
    assert staging.name == f".staging-{RUN_ID}-{os.getpid()}"
    assert (staging / MARKER).is_file()


def test_publish_renames_into_place_and_points_latest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    final = publish(_staged(out), out, RUN_ID).folder
    assert final == out / RUN_ID and (final / "artefact.csv").read_text() == "new"
    assert os.readlink(out / "latest") == RUN_ID  # a relative link
    assert sorted(p.name for p in out.iterdir()) == [RUN_ID, "latest"]


def test_publishing_the_same_run_again_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(_staged(out, text="old"), out, RUN_ID)
    publish(_staged(out, text="new"), out, RUN_ID)
    assert (out / RUN_ID / "artefact.csv").read_text() == "new"
    assert sorted(p.name for p in out.iterdir()) == [RUN_ID, "latest"]  # nothing left aside


def test_latest_moves_to_the_newest_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    publish(_staged(out, "aaaaaaaaaaaaaaaa"), out, "aaaaaaaaaaaaaaaa")
    publish(_staged(out, "bbbbbbbbbbbbbbbb"), out, "bbbbbbbbbbbbbbbb")
    assert os.readlink(out / "latest") == "bbbbbbbbbbbbbbbb"
    assert (out / "aaaaaaaaaaaaaaaa" / "artefact.csv").exists()


def test_a_foreign_folder_at_the_run_id_is_never_touched(tmp_path: Path, tree_digest: Callable[[Path], Any]) -> None:
    """[OUT-2]: an existing `<out>/<run_id>/` without the marker is a RUNTIME_ERROR and stays as it is."""
    out = tmp_path / "out"
    foreign = out / RUN_ID
    foreign.mkdir(parents=True)
    (foreign / "precious.txt").write_text("mine", encoding="utf-8")
    before = tree_digest(out)
    staging = _staged(out)
    with pytest.raises(RuntimeFailure, match="was not created by d3"):
        publish(staging, out, RUN_ID)
    remove_own(staging)
    assert tree_digest(out) == before


def test_a_real_folder_named_latest_refuses_before_anything_is_published(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "latest").mkdir(parents=True)
    staging = _staged(out)
    with pytest.raises(RuntimeFailure, match="latest"):
        publish(staging, out, RUN_ID)
    assert not (out / RUN_ID).exists() and staging.is_dir()


def test_remove_own_deletes_only_marked_real_folders(tmp_path: Path) -> None:
    plain, marked, link = tmp_path / "plain", tmp_path / "marked", tmp_path / "link"
    plain.mkdir()
    marked.mkdir()
    (marked / MARKER).write_text("x", encoding="utf-8")
    link.symlink_to(marked)
    remove_own(plain)
    remove_own(link)
    assert plain.is_dir() and marked.is_dir() and link.is_symlink()
    remove_own(marked)
    assert not marked.exists()


def test_staging_name_taken_by_a_foreign_folder_is_a_runtime_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / f".staging-{RUN_ID}-{os.getpid()}").mkdir(parents=True)
    with pytest.raises(RuntimeFailure, match="staging"):
        make_staging(out, RUN_ID)
    assert (out / f".staging-{RUN_ID}-{os.getpid()}").is_dir()


def _no_staging(out: Path) -> bool:
    return not [p for p in out.iterdir() if p.name.startswith((".staging-", ".old-", ".latest-"))]


@pytest.mark.parametrize(("error", "kind"), [(Interrupted("stop"), "INTERRUPTED"), (OSError("disk"), "RUNTIME_ERROR")])
def test_a_failing_run_removes_its_staging_and_keeps_published_runs(
    minimal: Any,
    previous_out: Path,
    d3: Callable[..., Any],
    tree_digest: Callable[[Path], Any],
    monkeypatch: pytest.MonkeyPatch,
    error: BaseException,
    kind: str,
) -> None:
    """[OUT-2], [CLI-2]: an interrupted or failing run exits 3, leaves no staging folder, changes nothing."""
    import d3_engine.pipeline.run as run_module

    seen: list[Path] = []

    def broken(validated: Any, models: Any, options: Any, log: Any, staging: Path) -> int:
        seen.append(staging)
        assert (staging / MARKER).is_file()
        raise error

    monkeypatch.setattr(run_module, "_build", broken)
    before = tree_digest(previous_out)
    outcome = d3("run", "--inputs", minimal.root, "--out", previous_out, "--force")
    assert outcome.exit_code == 3
    outcome.assert_contract()
    assert outcome.of("error")[0]["kind"] == kind
    assert seen and not seen[0].exists() and _no_staging(previous_out)
    after = tree_digest(previous_out)
    ledger_line = after.pop("ledger.jsonl")  # [OUT-15]: the ledger is no run's artefact; it gains a line
    assert after == {k: v for k, v in before.items() if k != "ledger.jsonl"} and ledger_line
    last = json.loads((previous_out / "ledger.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert last["exit_code"] == 3 and last["reused"] is False and last["funding_gap_p50_eur"] is None


@pytest.mark.e2e
def test_a_real_run_publishes_and_a_forced_rerun_replaces_it(
    minimal: Any, tmp_path: Path, d3: Callable[..., Any]
) -> None:
    """[OUT-1], [OUT-2], [V12-6] with the whole engine: the same inputs and seed give the same run folder,
    and `--force` replaces it by an exchange that leaves nothing aside."""
    out = tmp_path / "out"
    first = run_on_copy(["run", "--inputs", str(minimal.root), "--out", str(out), "--quiet"], minimal, out)
    assert first.exit_code == 0, first.stderr
    run_dir = Path(first.events[-1]["run_dir"])
    assert run_dir.parent == out and (run_dir / MARKER).is_file()
    assert os.readlink(out / "latest") == run_dir.name
    summary = json.loads((run_dir / "run_summary.json").read_text(encoding="utf-8"))
    assert summary["run_id"] == run_dir.name
    (run_dir / "stale.txt").write_text("from the first run", encoding="utf-8")
    second = d3("run", "--inputs", minimal.root, "--out", out, "--quiet", "--force")
    assert second.exit_code == 0 and second.events[-1]["run_dir"] == str(run_dir)
    assert not (run_dir / "stale.txt").exists() and _no_staging(out)


# --- issue 14: no window, exchange, sweep, identity [OUT-2], [V12-6] ------------------------------------------------


def test_run_identity_takes_keep_path_tables_and_overrides_only_when_used() -> None:
    """[V12-6]: unused flags leave the run id of [OUT-1] unchanged; used ones change it."""
    files = [InputFile("a.yaml", "1" * 64, 5)]
    plain = compute_run_id("0.1.0", 7, ["public"], False, files)
    assert compute_run_id("0.1.0", 7, ["public"], False, files, False, []) == plain
    assert compute_run_id("0.1.0", 7, ["public"], False, files, True, []) != plain
    overridden = compute_run_id("0.1.0", 7, ["public"], False, files, False, ["general.tax.rate_pct=30"])
    assert overridden not in (plain, compute_run_id("0.1.0", 7, ["public"], False, files, True, []))


@pytest.mark.parametrize("kernel", [True, False], ids=["renameat2", "fallback"])
def test_a_taken_name_is_replaced_by_an_exchange_that_never_empties_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kernel: bool
) -> None:
    """[V12-6]: the run name always holds a folder; the earlier copy ends in the staging name and is deleted."""
    import d3_engine.export.rename as rename

    if not kernel:
        monkeypatch.setattr(rename, "_renameat2", lambda *_: False)
    out = tmp_path / "out"
    publish(_staged(out, text="old"), out, RUN_ID)
    (out / RUN_ID / "only-in-old.txt").write_text("x", encoding="utf-8")
    staging = _staged(out, text="new")
    seen: list[bool] = []
    real_replace = os.replace

    def watching(src: Any, dst: Any) -> None:
        seen.append((out / RUN_ID).is_dir())
        real_replace(src, dst)

    monkeypatch.setattr(rename.os, "replace", watching)
    result = publish(staging, out, RUN_ID)
    assert result.replaced and (out / RUN_ID / "artefact.csv").read_text() == "new"
    assert not (out / RUN_ID / "only-in-old.txt").exists() and (out / RUN_ID / MARKER).is_file()
    assert all(seen) and _no_staging(out)


def test_a_new_name_is_taken_by_one_rename_that_refuses_a_taken_name(tmp_path: Path) -> None:
    """[OUT-2]: publishing a new run never replaces what appeared under its name meanwhile."""
    from d3_engine.export.rename import rename_new

    source, target = tmp_path / "a", tmp_path / "b"
    source.mkdir()
    target.mkdir()
    (target / "keep.txt").write_text("x", encoding="utf-8")
    with pytest.raises(FileExistsError):
        rename_new(source, target)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileExistsError):
        rename_new(source, empty)  # even an empty folder: plain rename(2) would have replaced it
    assert source.is_dir() and (target / "keep.txt").is_file()


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_the_sweep_removes_only_what_dead_d3_processes_left(tmp_path: Path) -> None:
    """[OUT-2]: a marked staging folder of a gone process goes; a live one, an unmarked one, a foreign name stay;
    a run an old d3 moved aside comes back under its name; a dead process's `latest` temp link goes."""
    import subprocess
    import sys

    from d3_engine.export.sweep import sweep

    out = tmp_path / "out"
    out.mkdir()
    dead = _dead_pid()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for name, marked in [
            (f".staging-{RUN_ID}-{dead}", True),
            (f".staging-{RUN_ID}-{live.pid}", True),
            (f".staging-aaaaaaaaaaaaaaaa-{dead}", False),
            (f".old-bbbbbbbbbbbbbbbb-{dead}", True),
            (f".staging-{RUN_ID}-x{dead}", True),
            ("mine", True),
        ]:
            (out / name).mkdir()
            if marked:
                (out / name / MARKER).write_text("d3 run folder\n", encoding="utf-8")
        (out / f".latest-{dead}").symlink_to(RUN_ID)
        removed = sweep(out)
        names = sorted(p.name for p in out.iterdir())
    finally:
        live.kill()
        live.wait()
    assert removed == [f".latest-{dead}", f".old-bbbbbbbbbbbbbbbb-{dead}", f".staging-{RUN_ID}-{dead}"]
    assert names == sorted(
        [
            f".staging-{RUN_ID}-{live.pid}",
            f".staging-aaaaaaaaaaaaaaaa-{dead}",
            f".staging-{RUN_ID}-x{dead}",
            "bbbbbbbbbbbbbbbb",
            "mine",
        ]
    )


def test_a_reused_pid_does_not_keep_a_dead_process_folder(tmp_path: Path) -> None:
    """A pid that now names a process started after the folder was made is not its owner."""
    import time

    from d3_engine.export.sweep import owner_alive

    assert owner_alive(os.getpid(), time.time())
    assert not owner_alive(os.getppid(), 1_000_000.0)  # the parent runs, but started long after 1970-01-12
    assert not owner_alive(_dead_pid(), time.time())
