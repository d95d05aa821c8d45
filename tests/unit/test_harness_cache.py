"""The session's cache of standard runs is one cache: every module reaches it through the module `harness`.

A module that imported `tests.harness` got a second copy of the module, whose cache was never pointed at the
session's shared folder: five modules recomputed runs the others had cached, on every xdist worker (found in
2026-12: the minimal run was computed four times instead of twice, the grid run twice more).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import harness
import pytest


def test_the_harness_cannot_be_imported_under_a_second_name() -> None:
    spec = importlib.util.spec_from_file_location("tests.harness", Path(harness.__file__))
    assert spec is not None and spec.loader is not None
    with pytest.raises(ImportError, match="import the test harness as `harness`"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert "tests.harness" not in sys.modules


def test_the_cache_lives_in_the_session_folder_every_worker_shares(standard_runs_folder: Path) -> None:
    assert harness.STANDARD_RUNS._folder() == standard_runs_folder
