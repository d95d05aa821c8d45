"""`-- virtual:` header lines: the contract checks each identity on every row of the model's table, and the
whole-run copy in run.duckdb computes those columns when read instead of storing them (issue 13): the other
columns are stored in `<table>_stored` and `<table>` is a view that adds the identities (pipeline/appends.py)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from d3_engine.core.errors import RuntimeFailure
from d3_engine.models.contract import check_contract
from d3_engine.models.header import ModelHeader, header_problems, identity_uses, parse_header
from d3_engine.models.identities import identity_levels, identity_view
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
    stored = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = 'run' AND table_name = 'books_stored' "
        "ORDER BY column_index"
    ).fetchall()
    assert [c for (c,) in stored] == ["path_id", "month", "cash_closing_eur", "loan_eur"]
    assert con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'run'").fetchall() == [
        ("books_stored",)
    ]
    assert con.execute("SELECT view_name FROM duckdb_views() WHERE database_name = 'run'").fetchall() == [("books",)]
    described = con.execute("DESCRIBE run.main.books").fetchall()
    assert [(r[0], r[1]) for r in described] == [(c.name, c.type) for c in HEADER.columns]
    same = "SELECT * FROM batch.main.books EXCEPT ALL SELECT * FROM run.main.books"
    assert con.execute(f"SELECT count(*) FROM ({same})").fetchall() == [(0,)]
    assert con.execute("SELECT count(*) FROM run.main.books").fetchall() == [(12,)]
    con.close()
    # the view binds its stored table in its own database, under any name the file is attached as
    other = duckdb.connect()
    other.execute(f"ATTACH '{tmp_path / 'run.duckdb'}' AS elsewhere (READ_ONLY)")
    other.execute("CREATE TABLE books_stored AS SELECT 1 AS decoy")
    assert other.execute("SELECT sum(equity_eur) FROM elsewhere.books").fetchall()[0][0] is not None


CAST_TEXT = """
-- model: parts
-- version: 1
-- purpose: identities whose casts matter
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  path
--   whole_eur DECIMAL(18,6) <EUR>  an amount
--   tripled_eur DECIMAL(18,6) <EUR>  three thirds
--   third_eur DECIMAL(18,2) <EUR>  a third, to the cent
--   label VARCHAR <text>  names an identity inside a literal
--   magnitude_eur DECIMAL(18,6) <EUR>  a function call next to a column
-- virtual: tripled_eur = third_eur * 3
-- virtual: third_eur = whole_eur / 3
-- virtual: label = 'third_eur=' || CAST(third_eur AS VARCHAR)
-- virtual: magnitude_eur = abs(whole_eur - tripled_eur)
"""


def _view_and_generated(tmp_path: Path, header: ModelHeader, amount: str) -> duckdb.DuckDBPyConnection:
    """`header`'s table in run.duckdb (its view over `<table>_stored`) and the same rows as DuckDB generated columns
    (`generated`), `amount` = 0, 10, … 40 on paths 0 … 4; asserts both give the same rows."""
    assert header_problems(header) == []
    declared = ", ".join(
        f"{c.name} {c.type}"
        + (f" GENERATED ALWAYS AS ({header.virtual[c.name]}) VIRTUAL" if c.name in header.virtual else "")
        for c in header.columns
    )
    con = duckdb.connect(str(tmp_path / "run.duckdb"))
    con.execute(f"CREATE TABLE generated ({declared})")
    con.execute(f"INSERT INTO generated (path_id, {amount}) SELECT i, CAST(i * 10 AS DECIMAL(18,6)) FROM range(5) t(i)")
    con.execute("ATTACH ':memory:' AS batch")
    con.execute(f"CREATE TABLE batch.{header.name} AS SELECT * FROM generated ORDER BY path_id")
    appender = RowGroupAppender(con)
    appender.append(f"batch.main.{header.name}", f"run.main.{header.name}", header.name, header)
    appender.flush()
    assert (
        con.execute(f"SELECT * FROM {header.name} ORDER BY path_id").fetchall()
        == con.execute("SELECT * FROM generated ORDER BY path_id").fetchall()
    )
    return con


def test_the_view_reads_what_generated_columns_gave(tmp_path: Path) -> None:
    """An identity that uses another (declared later) reads that one's CAST value; literals, function names and
    the other columns stay what they are: the view equals DuckDB's generated columns on the same rows."""
    header = parse_header(CAST_TEXT, "test")
    con = _view_and_generated(tmp_path, header, "whole_eur")
    assert con.execute("SELECT tripled_eur, label FROM parts WHERE path_id = 1").fetchall() == [
        (Decimal("9.990000"), "third_eur=3.33")
    ]


def test_identities_that_use_each_other_in_a_loop_are_refused() -> None:
    looping = parse_header(HEADER_TEXT.replace("greatest(cash_closing_eur, 0)", "equity_eur + 1"), "t")
    assert "virtual columns use each other in a loop: cash_eur → equity_eur → cash_eur" in header_problems(looping)
    itself = parse_header(HEADER_TEXT.replace("greatest(cash_closing_eur, 0)", "cash_eur + 1"), "t")
    assert "virtual columns use each other in a loop: cash_eur → cash_eur" in header_problems(itself)
    assert 'FROM "books_stored"' in identity_view(HEADER)


def test_identities_are_computed_in_levels_each_above_the_identities_it_uses() -> None:
    """One nested SELECT per level, not per identity: fewer layers for DuckDB to bind on every read."""
    assert identity_levels(HEADER) == [["cash_eur", "overdraft_eur"], ["equity_eur"]]
    assert identity_view(HEADER).count("SELECT *, ") == 2
    parts = parse_header(CAST_TEXT, "test")
    assert identity_levels(parts) == [["third_eur"], ["tripled_eur", "label"], ["magnitude_eur"]]
    from d3_engine.models.python.registry import all_models

    finance = all_models()["finance_month"].tables[0]
    levels = identity_levels(finance)
    assert sorted(c for level in levels for c in level) == sorted(finance.virtual)
    place = {c: n for n, level in enumerate(levels) for c in level}
    for column in finance.virtual:  # above everything it uses, and just above the highest of them
        uses = [place[u] for u in identity_uses(finance, column)]
        assert place[column] == 1 + max(uses, default=-1)
    # revenue_total → gross_profit → ebitda → ebit → ebt → net_income: 6 levels for 15 identities
    assert len(finance.virtual) == 15 and len(levels) == 6
    assert levels[-1] == ["net_income_eur"]


MIXED_CASE = """
-- model: cased
-- version: 1
-- purpose: identities that name others in another case
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  path
--   x_eur DECIMAL(18,6) <EUR>  an amount
--   c_eur DECIMAL(18,6) <EUR>  half of it
--   a_eur DECIMAL(18,6) <EUR>  half plus one
--   b_eur DECIMAL(18,6) <EUR>  a plus c, named in capitals
-- virtual: c_eur = x_eur / 2
-- virtual: a_eur = c_eur + 1
-- virtual: b_eur = A_EUR + "C_Eur"
"""


def test_an_identity_named_in_another_case_is_a_use(tmp_path: Path) -> None:
    """DuckDB compares identifiers without case, so `A_EUR` and `"C_Eur"` use a_eur and c_eur: b_eur goes above
    them (on level 0 beside c_eur its view would not bind), and a loop written in capitals is still a loop."""
    header = parse_header(MIXED_CASE, "test")
    assert identity_uses(header, "b_eur") == ["c_eur", "a_eur"]
    assert identity_levels(header) == [["c_eur"], ["a_eur"], ["b_eur"]]
    con = _view_and_generated(tmp_path, header, "x_eur")
    assert con.execute("SELECT b_eur FROM cased WHERE path_id = 2").fetchall() == [(Decimal("21.000000"),)]
    looping = parse_header(MIXED_CASE.replace("c_eur = x_eur / 2", "c_eur = B_Eur / 2"), "t")
    assert "virtual columns use each other in a loop: c_eur → b_eur → c_eur" in header_problems(looping)
    itself = parse_header(MIXED_CASE.replace("c_eur = x_eur / 2", "c_eur = C_EUR / 2"), "t")
    assert "virtual columns use each other in a loop: c_eur → c_eur" in header_problems(itself)
    assert identity_levels(looping)  # levels even for a looping header (refused before any view is made)


def test_a_published_run_computes_finance_months_identities_and_says_so(minimal_run: Path) -> None:
    """In the cached minimal run: finance_month is a view that computes exactly the header's identities over
    finance_month_stored, each COMMENT gives the formula, and what ACC-A10 compares is stored."""
    from d3_engine.models.python.registry import all_models

    header = all_models()["finance_month"].tables[0]
    con = duckdb.connect(str(minimal_run / "run.duckdb"), read_only=True)
    stored = {
        c
        for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'finance_month_stored'"
        ).fetchall()
    }
    assert stored == {c.name for c in header.columns} - set(header.virtual) and len(header.virtual) == 15
    assert {"cash_opening_eur", "net_cash_flow_eur", "cash_closing_eur", "balance_check_eur"} <= stored
    (view,) = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'finance_month'").fetchall()[0]
    assert "FROM finance_month_stored" in view
    comments = dict(
        con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'finance_month'").fetchall()
    )
    assert list(comments) == [c.name for c in header.columns]
    assert comments["total_assets_eur"].endswith(
        "(virtual column, computed when read: cash_eur + receivables_eur + fixed_assets_net_eur)"
    )
    assert "virtual" not in comments["cash_closing_eur"]
    (note,) = con.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'finance_month_stored'").fetchall()[0]
    assert "query finance_month" in note
    books = con.execute(
        "SELECT count(*) FROM finance_month WHERE total_assets_eur - total_liabilities_eur - total_equity_eur <> 0"
    ).fetchall()
    assert books == [(0,)]
