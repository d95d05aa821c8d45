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
    final = publish(_staged(out), out, RUN_ID)
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
    outcome = d3("run", "--inputs", minimal.root, "--out", previous_out)
    assert outcome.exit_code == 3
    outcome.assert_contract()
    assert outcome.of("error")[0]["kind"] == kind
    assert seen and not seen[0].exists() and _no_staging(previous_out)
    assert tree_digest(previous_out) == before


@pytest.mark.e2e
def test_a_real_run_publishes_and_a_rerun_replaces_it(minimal: Any, tmp_path: Path, d3: Callable[..., Any]) -> None:
    """[OUT-1], [OUT-2] with the whole engine: the same inputs and seed give the same run folder. The first run
    is the session's cached run of minimal_001 copied to `out`; the rerun is new."""
    out = tmp_path / "out"
    first = run_on_copy(["run", "--inputs", str(minimal.root), "--out", str(out), "--quiet"], minimal, out)
    assert first.exit_code == 0, first.stderr
    run_dir = Path(first.events[-1]["run_dir"])
    assert run_dir.parent == out and (run_dir / MARKER).is_file()
    assert os.readlink(out / "latest") == run_dir.name
    summary = json.loads((run_dir / "run_summary.json").read_text(encoding="utf-8"))
    assert summary["run_id"] == run_dir.name
    (run_dir / "stale.txt").write_text("from the first run", encoding="utf-8")
    second = d3("run", "--inputs", minimal.root, "--out", out, "--quiet")
    assert second.exit_code == 0 and second.events[-1]["run_dir"] == str(run_dir)
    assert not (run_dir / "stale.txt").exists() and _no_staging(out)
