"""A published run holds no staging internals: no scratch database, no DuckDB spill files, no stress databases,
and run_summary lists none of them as an artefact (specs/engine.md "Paths in batches", [OUT-7])."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

INTERNAL = (".scratch", ".duckdb-tmp", ".stress-")


@pytest.mark.parametrize("fixture", ["minimal_run", "shipped_run", "shipped_small_run"])
def test_a_published_run_keeps_no_staging_internals(fixture: str, request: pytest.FixtureRequest) -> None:
    run_dir: Path = request.getfixturevalue(fixture)
    names = [p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*")]
    assert [n for n in names if n.startswith(INTERNAL)] == []
    artefacts = json.loads((run_dir / "run_summary.json").read_text(encoding="utf-8"))["artefacts"]
    assert artefacts and [a for a in artefacts if any(part.startswith(".") for part in a.split("/"))] == []
    assert "report.md" in artefacts and "run.duckdb" not in artefacts
