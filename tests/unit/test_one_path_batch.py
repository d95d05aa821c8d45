"""A plan of one path computes its path once (pipeline/batches.run_plan): the one batch runs every per-path model
and keeps the representative path's rows too, instead of a second batch of the same path [FIN-12] [RNG-7].

The route it replaced (the batch of the whole-run tables, then the representative path's batch) is forced here
on minimal_001 and compared with the session's cached run, which took the one-batch route: the same artefacts,
the same tables with the same rows in the same stored order, the same COMMENTs.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import pytest
from harness import BUNDLES, run_d3, standard_run

import d3_engine.pipeline.batches as batches
from d3_engine.pipeline.databases import PathsPlan

VOLATILE = {"engine_models", "run_meta", "ledger"}  # timings, the run's own time, the ledger


def _stored(run_db: Path) -> dict[str, tuple[Any, ...]]:
    """Every table and view of run.duckdb: row count and md5 of its rows in stored order; and its COMMENTs."""
    con = duckdb.connect(str(run_db), read_only=True)
    try:
        relations = con.execute(
            "SELECT table_name, comment, 'T' FROM duckdb_tables() UNION ALL "
            "SELECT view_name, comment, 'V' FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
        out: dict[str, tuple[Any, ...]] = {}
        for name, comment, kind in relations:
            if name in VOLATILE:
                continue
            columns = con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [name]
            ).fetchall()
            row = " || '|' || ".join(f"coalesce(CAST(\"{c}\" AS VARCHAR), '∅')" for c, _ in columns)
            order = " ORDER BY rowid" if kind == "T" else ""
            digest = con.execute(f'SELECT count(*), md5(string_agg({row}, chr(10){order})) FROM "{name}"').fetchall()
            out[name] = (digest[0], comment, columns)
        return out
    finally:
        con.close()


def _sums(run_dir: Path) -> dict[str, str]:
    lines = (run_dir / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_only_a_plan_of_one_path_with_a_representative_batch_takes_the_one_batch_route() -> None:
    def plan(paths: int, **options: Any) -> PathsPlan:
        return PathsPlan(seed=1, plan=SimpleNamespace(paths=paths), pipelines=["public"], batch_size=5000, **options)

    assert batches._one_path_alone(plan(1))  # minimal_001: the session's cached run took this route
    assert not batches._one_path_alone(plan(2))
    assert not batches._one_path_alone(plan(1, keep_every_path=True))  # every batch keeps every table anyway
    assert not batches._one_path_alone(plan(1, keep_only=frozenset({"finance_month"})))  # a stress: no rep rows


@pytest.mark.e2e  # one run of its own
def test_a_one_path_plan_gives_what_the_two_batch_route_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    merged = standard_run("minimal_001")
    assert merged.exit_code == 0
    computed: list[tuple[int, int, tuple[bool, ...]]] = []
    compute = batches._compute_batch

    def spy(dbs, models, variables, batch, slot, keeps):  # type: ignore[no-untyped-def]
        computed.append((batch.start, batch.stop, keeps))
        return compute(dbs, models, variables, batch, slot, keeps)

    monkeypatch.setattr(batches, "_compute_batch", spy)
    monkeypatch.setattr(batches, "_one_path_alone", lambda paths: False)  # the route it replaced
    split = run_d3("run", "--inputs", BUNDLES["minimal_001"], "--out", tmp_path / "out")
    assert split.exit_code == 0, split.stderr
    assert computed == [(0, 1, (False,)), (0, 1, (True,))]  # the path's batch, then the same path again

    run_dir, split_dir = merged.run_dir, (tmp_path / "out" / "latest").resolve()
    assert run_dir.name == split_dir.name  # the same run id: the same inputs and engine
    identity = {"run_summary.json", "run.duckdb"}  # run_summary holds the run's time; run.duckdb: compared below
    merged_sums, split_sums = _sums(run_dir), _sums(split_dir)
    assert {k: v for k, v in merged_sums.items() if k not in identity} == {
        k: v for k, v in split_sums.items() if k not in identity
    }
    merged_tables, split_tables = _stored(run_dir / "run.duckdb"), _stored(split_dir / "run.duckdb")
    assert len(merged_tables) > 90
    assert sorted(merged_tables) == sorted(split_tables)
    assert [t for t in merged_tables if merged_tables[t] != split_tables[t]] == []
