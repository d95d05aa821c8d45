"""`pip install .` (not editable) gives a `d3` that works from any folder with the shipped inputs (ARCHITECTURE
§3a), and `d3 init DIR` writes a starter inputs folder that validates [CLI-1] [DEF-1].

The wheel test builds the wheel offline (no build isolation: setuptools is pinned in requirements.lock),
installs it with `pip install --no-index --no-deps` into a new venv whose only other packages are the pinned
dependencies of this venv (a .pth line, so the editable d3 of this venv is not seen), then runs `d3 validate`
and `d3 run --out X` in an empty folder: no ./inputs, so the shipped bundle packed in the wheel is used. The run
shrinks the shipped plan with `--set` (harness.SMALL_PLAN and NO_STRESS: what is packed, not how many paths or
stressed plans, is the point; `d3 validate` reads every packed file) and must publish the same run id and bytes as
the session's cached run of this checkout's inputs/ with the same sets.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from harness import NO_STRESS, ROOT, SMALL_PLAN, run_d3, small_shipped_run, tree_digest

from d3_engine.core.files import shipped_inputs_dir
from d3_engine.pipeline.starter import START_HERE


def _sh(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv holding d3 installed from its wheel (not editable)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a clean copy: the build writes build/ and *.egg-info beside setup.py
    for name in ("d3_engine", "sql", "specs", "inputs"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("setup.py", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    _sh(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", base / "dist", source)
    (wheel,) = (base / "dist").glob("d3_engine-*.whl")
    venv = base / "venv"
    _sh(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    purelib = Path(_sh(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    deps = sysconfig.get_path("purelib") if sys.prefix != sys.base_prefix else site.getsitepackages()[0]
    (purelib / "d3_dependencies.pth").write_text(deps + "\n", encoding="utf-8")
    _sh(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-index", "--no-deps", wheel)
    return venv / "bin"


@pytest.mark.e2e
def test_the_wheel_carries_its_data_and_runs_the_shipped_plan_from_any_folder(installed: Path, tmp_path: Path) -> None:
    where = _sh(installed / "python", "-c", "import d3_engine; print(d3_engine.__file__)", cwd=tmp_path).stdout
    assert Path(where.strip()).is_relative_to(installed.parent), where  # the wheel, not this checkout
    validate = _sh(installed / "d3", "validate", "--quiet", cwd=tmp_path)
    assert '"exit_code": 0' in validate.stdout.splitlines()[-1]
    run = subprocess.run(
        [str(installed / "d3"), "run", "--out", "X", "--quiet", *SMALL_PLAN, *NO_STRESS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    reference = small_shipped_run(*NO_STRESS)  # this checkout's inputs/, in-process, with the same sets
    assert run.returncode == reference.exit_code == 0, run.stderr
    published = (tmp_path / "X" / "latest").resolve()
    assert published.name == reference.run_dir.name  # same inputs, same engine, same run id [OUT-1]
    sums = (published / "SHA256SUMS").read_text(encoding="utf-8")
    assert sums == (reference.run_dir / "SHA256SUMS").read_text(encoding="utf-8")  # byte-identical artefacts
    assert list(tmp_path.iterdir()) == [tmp_path / "X"]


def test_init_writes_the_shipped_inputs_and_a_guide_that_validate(tmp_path: Path) -> None:
    target = tmp_path / "my-inputs"
    made = run_d3("init", target)
    assert made.exit_code == 0, made.stderr
    assert f"read {target / START_HERE} first" in made.stderr
    guide = (target / START_HERE).read_text(encoding="utf-8")
    assert "operator/general.yaml" in guide and f"d3 validate --inputs {target}" in guide
    copied = tree_digest(target)
    assert copied.pop(START_HERE) and copied == tree_digest(shipped_inputs_dir())
    checked = run_d3("validate", "--inputs", target, "--quiet")
    assert checked.exit_code == 0, checked.stderr
    checked.assert_contract()


def test_init_accepts_an_empty_folder_and_refuses_a_non_empty_one(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_d3("init", empty).exit_code == 0
    before = tree_digest(empty)
    again = run_d3("init", empty)
    assert again.exit_code == 2
    assert f"d3 init: {empty} is not empty; d3 init never overwrites files. To fix this," in again.stderr
    assert "Traceback" not in again.stderr and tree_digest(empty) == before
    (tmp_path / "file").write_text("x", encoding="utf-8")
    on_file = run_d3("init", tmp_path / "file")
    assert on_file.exit_code == 2 and "is a file. To fix this" in on_file.stderr


def test_init_says_when_it_cannot_write(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        outcome = run_d3("init", locked / "inputs")
    finally:
        locked.chmod(0o700)
    if outcome.exit_code == 0:  # root ignores permissions: nothing to prove here
        assert (locked / "inputs" / START_HERE).is_file()
        return
    assert outcome.exit_code == 3 and "cannot write" in outcome.stderr and "To fix this" in outcome.stderr
