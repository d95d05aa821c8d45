"""The house style is part of the suite: ruff (lint + format) and mypy must be clean (ARCHITECTURE §7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_lint_is_clean() -> None:
    proc = _run(str(BIN / "ruff"), "check", "d3_engine", "tests", "tools")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean() -> None:
    proc = _run(str(BIN / "ruff"), "format", "--check", "d3_engine", "tests", "tools")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean() -> None:
    proc = _run(str(BIN / "mypy"))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_engine_module_stays_small() -> None:
    """Python modules 100–300 lines, 500 = time to split (ARCHITECTURE §7)."""
    modules = (ROOT / "d3_engine").rglob("*.py")  # every stage package, not only the top level
    too_long = {
        p.relative_to(ROOT).as_posix(): n
        for p in modules
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not too_long, too_long
