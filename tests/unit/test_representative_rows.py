"""The per-path tables run.duckdb keeps for the representative path only hold exactly that path's rows of the
whole table ([FIN-12], specs/engine.md "Paths in batches").

Those rows come from the representative path's own batch (the scratch tables included: `finish_scratch` keeps
that batch's rows instead of scanning the whole scratch table). A batch is a pure function of its path range,
so they must equal the rows of that path in a run that keeps every path (`--keep-path-tables`), computed in
batches of 20 paths on 2 workers.
"""

from __future__ import annotations

import duckdb
from harness import GRID_RUN, STANDARD_RUNS

from d3_engine.models.scope import SCRATCH_PER_PATH

#: The run of rng_determinism.feature's first step (harness.GRID_RUN) and of its "kept on request" scenario.
DEFAULT = GRID_RUN
EVERY_PATH = ("--max-concurrency", "2", "--paths-per-batch", "20", "--keep-path-tables")


def test_every_representative_only_table_holds_that_paths_rows_of_the_whole_table() -> None:
    default = STANDARD_RUNS.get("grid_001", *DEFAULT)
    whole = STANDARD_RUNS.get("grid_001", *EVERY_PATH)
    assert default.exit_code == 0 and whole.exit_code == 0
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{default.run_dir / 'run.duckdb'}' AS rep_only (READ_ONLY)")
        con.execute(f"ATTACH '{whole.run_dir / 'run.duckdb'}' AS every_path (READ_ONLY)")
        (rep,) = con.execute("SELECT path_id FROM rep_only.representative_path").fetchall()[0]
        tables = [
            str(name)
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'rep_only' "
                "AND comment LIKE '%Representative path only%' ORDER BY table_name"
            ).fetchall()
        ]
        assert set(tables) >= SCRATCH_PER_PATH and {"public_model_month", "draw_public_noise"} <= set(tables)
        assert con.execute("SELECT count(DISTINCT path_id) FROM every_path.public_served_month").fetchall() == [(72,)]
        for table in tables:
            kept = con.execute(f'SELECT * FROM rep_only."{table}"').fetchall()
            expected = con.execute(f'SELECT * FROM every_path."{table}" WHERE path_id = {rep} ORDER BY ALL').fetchall()
            assert kept, table
            assert kept == expected, table  # the same rows, stored in ORDER BY ALL order
        leftovers = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'rep_only' AND table_name LIKE '\\_d3%' "
            "ESCAPE '\\'"
        ).fetchall()
        assert leftovers == []
    finally:
        con.close()
