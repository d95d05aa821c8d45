"""The pricing preflight's lean database (sixteenth session): a scratch catalog on one DuckDB instance, only the
input tables the pricing models read, model discovery parsed once per tree — and the same findings [IN-18]
[PUB-2] [PUB-5] [PUB-6]."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from d3_engine.checks import preflight
from d3_engine.checks.preflight import (
    PRICING_MODELS,
    closure,
    default_set_db,
    fill_pricing_set,
    inputs_read,
    public_findings,
)
from d3_engine.core.db import scratch_database
from d3_engine.core.files import sql_dir
from d3_engine.models.graph import discover_models
from d3_engine.models.python.registry import all_models
from d3_engine.models.render import model_variables
from d3_engine.pipeline.validation import validate_inputs
from d3_engine.plan.store import write_inputs
from tests.conftest import BUNDLES

PRICE_ROWS = "SELECT * FROM public_price ORDER BY model"
ADMISSION_ROWS = "SELECT * FROM public_admission ORDER BY model"


def _catalogs(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {str(r[0]) for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()}


def test_a_scratch_database_is_its_own_catalog_and_is_dropped_on_exit() -> None:
    with scratch_database() as first, scratch_database() as second:
        first.execute("CREATE TABLE t AS SELECT 1 AS x")
        second.execute("CREATE TABLE t AS SELECT 'two' AS y, 2 AS z")
        assert first.execute("SELECT * FROM t").fetchall() == [(1,)]
        assert second.execute("SELECT name FROM pragma_table_info('t') ORDER BY cid").fetchall() == [("y",), ("z",)]
        catalog = str(first.execute("SELECT current_database()").fetchall()[0][0])
        assert catalog.startswith("scratch_") and catalog in _catalogs(second)
    with scratch_database() as later:
        assert catalog not in _catalogs(later)  # detached: its tables and memory are gone
        assert later.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'").fetchall() == [(0,)]


def test_scratch_databases_in_threads_do_not_meet() -> None:
    seen: dict[int, list[tuple[int]]] = {}

    def work(n: int) -> None:
        with scratch_database() as con:
            con.execute(f"CREATE TABLE t AS SELECT {n} AS x FROM range({n + 1})")
            seen[n] = con.execute("SELECT DISTINCT x FROM t").fetchall()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {n: [(n,)] for n in range(6)}


@pytest.mark.parametrize("stop", ["sql error", "interrupt"])
def test_a_failing_block_raises_its_own_error_and_still_drops_its_catalog(stop: str) -> None:
    expected = duckdb.CatalogException if stop == "sql error" else KeyboardInterrupt
    with pytest.raises(expected), scratch_database() as con:
        catalog = str(con.execute("SELECT current_database()").fetchall()[0][0])
        if stop == "interrupt":
            raise KeyboardInterrupt
        con.execute("SELECT * FROM no_such_table")
    with scratch_database() as later:
        assert catalog not in _catalogs(later)


def test_a_block_that_closes_its_cursor_still_drops_its_catalog() -> None:
    with scratch_database() as con:
        catalog = str(con.execute("SELECT current_database()").fetchall()[0][0])
        con.execute("CREATE TABLE big AS SELECT range AS x FROM range(100000)")
        con.close()
    with scratch_database() as later:
        assert catalog not in _catalogs(later)


PRICING_INPUTS = {"input_gpu_baselines", "input_models", "input_offers", "input_throughput_measured"}


def test_the_pricing_closure_reads_four_input_tables() -> None:
    variables = model_variables(validate_inputs(BUNDLES["minimal_001"]), replicates=1, mc=1)
    assert inputs_read(closure(PRICING_MODELS), variables) == PRICING_INPUTS
    assert inputs_read([all_models()["loan_schedule"]], variables) is None  # a Python model: every input table


def test_the_findings_preflight_writes_only_the_tables_it_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    written: list[set[str]] = []

    def spy(con: duckdb.DuckDBPyConnection, validated: object, only: object = None) -> dict[str, int]:
        counts = write_inputs(con, validated, only)  # type: ignore[arg-type]
        written.append(set(counts))
        return counts

    monkeypatch.setattr(preflight, "write_inputs", spy)
    public_findings(validate_inputs(BUNDLES["minimal_001"]))
    assert written[-1] == PRICING_INPUTS


def test_write_inputs_with_only_creates_those_tables_with_the_same_rows() -> None:
    validated = validate_inputs(BUNDLES["minimal_001"])
    wanted = {"input_offers", "input_models", "input_resolved", "input_variables_public_tap", "input_general"}
    with scratch_database() as lean, scratch_database() as full:
        assert set(write_inputs(lean, validated, wanted)) == wanted
        every = write_inputs(full, validated)
        assert wanted < set(every) and len(every) > 20
        for table in sorted(wanted):
            query = f"SELECT * FROM {table}"
            assert lean.execute(query).fetchall() == full.execute(query).fetchall(), table


@pytest.mark.parametrize("bundle", ["minimal_001", "inputs"])
def test_the_lean_preflight_prices_like_a_database_of_every_input(bundle: str) -> None:
    validated = validate_inputs(BUNDLES[bundle])
    full = default_set_db(validated)  # every input table, an instance of its own
    try:
        expected = (full.execute(PRICE_ROWS).fetchall(), full.execute(ADMISSION_ROWS).fetchall())
    finally:
        full.close()
    with scratch_database() as lean:
        fill_pricing_set(lean, validated)  # what public_findings reads
        assert (lean.execute(PRICE_ROWS).fetchall(), lean.execute(ADMISSION_ROWS).fetchall()) == expected
        assert len(expected[0]) >= 2
    findings = public_findings(validated)
    assert findings == public_findings(validated)  # a second preflight in the same process: the same
    assert {f.code for f in findings} >= ({"tps_heuristic"} if bundle == "inputs" else set())


def test_discovery_gives_fresh_copies_and_rereads_an_edited_tree(tmp_path: Path) -> None:
    first = discover_models()
    first["public_price"].deps.clear()
    first["public_price"].pipelines.append("private")
    first["public_price"].source = "changed by a caller"
    again = discover_models()["public_price"]
    assert again.deps and again.pipelines == ["public"] and again.source.startswith("-- model: public_price")

    tree = tmp_path / "sql"
    (tree / "models" / "30_public").mkdir(parents=True)
    original = sql_dir() / "models" / "30_public" / "public_vendor_v1.sql"
    copied = tree / "models" / "30_public" / "public_vendor_v1.sql"
    copied.write_text(original.read_text(encoding="utf-8"), encoding="utf-8")
    assert set(discover_models(tree)) == {"public_vendor"}
    before = copied.stat()
    text = original.read_text(encoding="utf-8").replace("-- version: 1", "-- version: 7", 1)
    assert len(text) == len(original.read_text(encoding="utf-8"))
    copied.write_text(text, encoding="utf-8")
    os.utime(copied, ns=(before.st_atime_ns, before.st_mtime_ns))  # the same size and time: only the text differs
    assert discover_models(tree)["public_vendor"].version == 7
    assert discover_models()["public_price"].version == first["public_price"].version  # the engine's tree again


FORK_CHILD = """
import os, sys
from pathlib import Path
from d3_engine.core.db import scratch_database
from d3_engine.pipeline.validation import validate_inputs
validate_inputs(Path(sys.argv[1]))  # the process's DuckDB instance for scratch databases now exists
pid = os.fork()
if pid == 0:
    with scratch_database() as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    sys.exit(0)  # a normal exit: the interpreter tears down, DuckDB's instances with it
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
with scratch_database() as con:  # the parent goes on with a new instance
    print(con.execute("SELECT 42").fetchall()[0][0])
"""


def test_a_child_forked_after_a_validation_uses_duckdb_and_exits_cleanly() -> None:
    """An instance alive across a fork made such a child abort at exit (status -6, found by a reviewer)."""
    done = subprocess.run(
        [sys.executable, "-c", FORK_CHILD, str(BUNDLES["minimal_001"])], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "42"], (done.stdout, done.stderr)
