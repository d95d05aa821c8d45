"""Runs of the real CLI shared by the SQL-model tests (one per session and fixture)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
D3 = Path(sys.executable).parent / "d3"


def run_cli(inputs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """`d3 run` in a subprocess, returning the completed process."""
    return subprocess.run(
        [str(D3), "run", "--inputs", str(inputs), "--out", str(out), "--quiet", *extra],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


@pytest.fixture(scope="session")
def minimal_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The golden fixture minimal_001 run once; returns the published run folder."""
    out = tmp_path_factory.mktemp("minimal-run")
    proc = run_cli(ROOT / "tests" / "fixtures" / "minimal_001", out)
    assert proc.returncode in (0, 4), proc.stderr
    return (out / "latest").resolve()


@pytest.fixture(scope="session")
def shipped_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped inputs run once; returns the published run folder."""
    out = tmp_path_factory.mktemp("shipped-run")
    proc = run_cli(ROOT / "inputs", out)
    assert proc.returncode in (0, 4), proc.stderr
    return (out / "latest").resolve()
