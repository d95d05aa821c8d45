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


def test_the_full_size_run_database_has_no_free_blocks(shipped_run: Path) -> None:
    """run.duckdb of the shipped plan (5 000 paths × 60 months in two batches) holds only used blocks: the
    whole-run tables are appended in whole row groups (pipeline/appends.py); appended batch by batch they left
    about a third of the file free (291 of 869 blocks at 10 000 paths × 36 months)."""
    import duckdb

    database = shipped_run / "run.duckdb"
    con = duckdb.connect(str(database), read_only=True)
    try:
        total, free = con.execute("SELECT total_blocks, free_blocks FROM pragma_database_size()").fetchall()[0]
        (rows,) = con.execute("SELECT count(*) FROM finance_month").fetchall()[0]
    finally:
        con.close()
    assert rows > 2 * 122_880, f"{database}: too few rows to span several row groups"
    assert free <= total // 50, f"{database}: {free} of {total} blocks free"


@pytest.mark.parametrize(
    ("fixture", "block_size"),
    [("minimal_run", 16_384), ("shipped_small_run", 16_384), ("shipped_run", 262_144)],
)
def test_a_small_plan_writes_a_small_run_database(
    fixture: str, block_size: int, request: pytest.FixtureRequest
) -> None:
    """A plan of at most 50 000 path-months writes 16 KiB blocks (pipeline/databases.database_block_size): every
    non-empty table takes blocks of its own, so minimal_001's run.duckdb is ~2 MB, not ~23 MB; the shipped plan (300 000
    path-months) keeps DuckDB's 256 KiB."""
    import duckdb

    database: Path = request.getfixturevalue(fixture) / "run.duckdb"
    con = duckdb.connect(str(database), read_only=True)
    try:
        (found,) = con.execute("SELECT block_size FROM pragma_database_size()").fetchall()[0]
    finally:
        con.close()
    assert found == block_size
    if fixture == "minimal_run":
        assert database.stat().st_size < 4_000_000, database.stat().st_size
