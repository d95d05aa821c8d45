"""`-- virtual:` header lines: the contract checks each identity on every row of the model's table, and the
whole-run copy in run.duckdb computes those columns when read instead of storing them (issue 13)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.contract import check_contract
from d3_engine.models.header import header_problems, parse_header
from d3_engine.pipeline.appends import RowGroupAppender

HEADER_TEXT = """
-- model: books
-- version: 1
-- purpose: a toy balance sheet
-- grain: path_id, month
-- columns:
--   path_id BIGINT <id>  path
--   month BIGINT <month>  plan month
--   cash_closing_eur DECIMAL(18,6) <EUR>  closing cash
--   cash_eur DECIMAL(18,6) <EUR>  max(0, cash_closing)
--   overdraft_eur DECIMAL(18,6) <EUR>  max(0, -cash_closing)
--   loan_eur DECIMAL(18,6) <EUR>  loan
--   equity_eur DECIMAL(18,6) <EUR>  cash - overdraft - loan
-- virtual: cash_eur = greatest(cash_closing_eur, 0)
-- virtual: overdraft_eur = greatest(-cash_closing_eur, 0)
-- virtual: equity_eur = cash_eur - overdraft_eur - loan_eur
"""
HEADER = parse_header(HEADER_TEXT, "test")
BUILD = """CREATE OR REPLACE TABLE books AS
    SELECT p AS path_id, m AS month, c AS cash_closing_eur, greatest(c, 0) AS cash_eur,
           greatest(-c, 0) AS overdraft_eur, CAST(10 AS DECIMAL(18,6)) AS loan_eur,
           CAST(greatest(c, 0) - greatest(-c, 0) - 10 AS DECIMAL(18,6)) AS equity_eur
    FROM (SELECT p, m, CAST((p * 7 - m * 3) * 1.5 AS DECIMAL(18,6)) AS c FROM range(3) a(p), range(1, 5) b(m))
    ORDER BY path_id, month"""


def test_the_header_reads_the_identities_in_order_and_refuses_an_undeclared_or_grain_column() -> None:
    assert list(HEADER.virtual) == ["cash_eur", "overdraft_eur", "equity_eur"]
    assert HEADER.virtual["equity_eur"] == "cash_eur - overdraft_eur - loan_eur"
    assert header_problems(HEADER) == []
    broken = parse_header(HEADER_TEXT + "-- virtual: month = 1\n-- virtual: profit_eur = 2\n-- virtual: oops\n", "t")
    problems = header_problems(broken)
    assert "grain column month cannot be virtual" in problems
    assert "virtual column profit_eur is not a declared column" in problems
    assert any("virtual line 'oops'" in p for p in problems)


def test_the_contract_refuses_a_model_whose_column_breaks_its_identity() -> None:
    con = duckdb.connect()
    con.execute(BUILD)
    check_contract(con, HEADER)  # every identity holds
    con.execute("UPDATE books SET equity_eur = equity_eur + 0.000001 WHERE path_id = 1 AND month = 2")
    with pytest.raises(RuntimeFailure, match=r"equity_eur = cash_eur - overdraft_eur - loan_eur fails on 1 row"):
        check_contract(con, HEADER)


def test_run_duckdb_computes_the_virtual_columns_with_the_models_values(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    con.execute("ATTACH ':memory:' AS batch")
    con.execute("USE batch")
    con.execute(BUILD)
    con.execute("USE run")
    appender = RowGroupAppender(con)
    appender.append("batch.main.books", "run.main.books", "books", HEADER)
    appender.flush()
    generated = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'run' AND table_name = 'books' "
        "AND column_name IN (SELECT unnest(['cash_eur', 'overdraft_eur', 'equity_eur']))"
    ).fetchall()
    assert len(generated) == 3
    ddl = con.execute("SELECT sql FROM duckdb_tables() WHERE database_name = 'run'").fetchall()[0][0]
    assert ddl.count("GENERATED ALWAYS AS") == 3
    same = "SELECT * FROM batch.main.books EXCEPT ALL SELECT * FROM run.main.books"
    assert con.execute(f"SELECT count(*) FROM ({same})").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM run.main.books").fetchall() == [(12,)]


def test_a_published_run_computes_finance_months_identities_and_says_so(minimal_run: Path) -> None:
    """In the cached minimal run: exactly the header's identities are generated columns, each COMMENT gives the
    formula, and what ACC-A10 compares is stored."""
    from d3_engine.models.python.registry import all_models

    header = all_models()["finance_month"].tables[0]
    con = duckdb.connect(str(minimal_run / "run.duckdb"), read_only=True)
    ddl = con.execute("SELECT sql FROM duckdb_tables() WHERE table_name = 'finance_month'").fetchall()[0][0]
    generated = {c.name for c in header.columns if f"{c.name} DECIMAL(18,6) GENERATED ALWAYS AS" in ddl}
    assert generated == set(header.virtual) and len(generated) == 15
    assert not {"cash_opening_eur", "net_cash_flow_eur", "cash_closing_eur", "balance_check_eur"} & generated
    comments = dict(
        con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'finance_month'").fetchall()
    )
    assert comments["total_assets_eur"].endswith(
        "(virtual column, computed when read: cash_eur + receivables_eur + fixed_assets_net_eur)"
    )
    assert "virtual" not in comments["cash_closing_eur"]
    books = con.execute(
        "SELECT count(*) FROM finance_month WHERE total_assets_eur - total_liabilities_eur - total_equity_eur <> 0"
    ).fetchall()
    assert books == [(0,)]
