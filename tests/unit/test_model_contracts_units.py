"""Model headers: units from the fixed vocabulary, the `_eur` rule, and the header parser (specs/engine.md)."""

from __future__ import annotations

import pytest

from d3_engine.models.header import UNITS, header_problems, parse_header
from d3_engine.models.python.registry import all_models

ALL_HEADERS = [(m.name, h) for m in all_models().values() for h in m.tables]

GOOD = """-- model: demo
-- version: 1
-- purpose: a demo [GEN-2]
-- grain: path_id
-- columns:
--   path_id BIGINT <id>  path
--   revenue_eur DECIMAL(18,6) <EUR>  revenue
--   sell_eur_per_1k DOUBLE <EUR/1k tokens>  price
"""


def test_every_model_and_python_model_declares_units_and_follows_the_eur_rule() -> None:
    """Every column of every header (SQL and Python) has a known unit; money ends in _eur, nothing else does."""
    assert len(ALL_HEADERS) >= 40
    problems = {f"{h.owner}": header_problems(h) for _, h in ALL_HEADERS if header_problems(h)}
    assert problems == {}


def test_every_python_model_writes_headed_tables() -> None:
    python = [m for m in all_models().values() if m.python is not None]
    assert {t.name for m in python for t in m.tables} >= {
        "public_scaling_events",
        "public_autoscaling_summary",
        "loan_schedule",
        "fixed_cost_indexed",
    }


def test_a_good_header_parses_with_units() -> None:
    header = parse_header(GOOD, "demo.sql", "demo", 1)
    assert [(c.name, c.type, c.unit) for c in header.columns] == [
        ("path_id", "BIGINT", "id"),
        ("revenue_eur", "DECIMAL(18,6)", "EUR"),
        ("sell_eur_per_1k", "DOUBLE", "EUR/1k tokens"),
    ]
    assert header_problems(header) == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("--   cost DOUBLE  no unit here", "column cost: no unit"),
        ("--   cost DOUBLE <EURO>  unknown", "column cost: unknown unit <EURO> (did you mean <EUR>?)"),
        (
            "--   cost DECIMAL(18,6) <EUR>  money without the suffix",
            "column cost: a money column (unit EUR) must end in _eur",
        ),
        ("--   cost_eur DOUBLE <ratio>  not money", "column cost_eur: only money columns (unit EUR) end in _eur"),
    ],
)
def test_a_missing_or_unknown_unit_or_a_broken_eur_rule_is_a_contract_error(line: str, problem: str) -> None:
    header = parse_header(GOOD + line + "\n", "demo.sql", "demo", 1)
    found = header_problems(header)
    assert any(p.startswith(problem) for p in found), found


def test_header_name_and_version_must_agree_with_the_file() -> None:
    found = header_problems(parse_header(GOOD, "demo_v2.sql", "other", 2))
    assert "header model 'demo' disagrees with the file name (other)" in found
    assert "header version '1' disagrees with the file name (v2)" in found


def test_the_units_vocabulary_is_the_one_in_the_spec() -> None:
    """specs/engine.md lists exactly the units of `UNITS` (one table, one vocabulary)."""
    from pathlib import Path

    spec = (Path(__file__).resolve().parents[2] / "specs" / "engine.md").read_text(encoding="utf-8")
    section = spec.split("### Units", 1)[1].split("\n## ", 1)[0]
    listed = [line.split("|")[1].strip().strip("`") for line in section.splitlines() if line.startswith("| `")]
    assert listed == list(UNITS)


def test_artefact_lines_list_declared_columns_in_file_order() -> None:
    """`-- artefact: <file>.csv: …` lines (several continue one list) give the file's columns; a column the header
    does not declare, a repeated column or a malformed line is a contract error."""
    good = GOOD + "-- artefact: demo.csv: sell_eur_per_1k,\n-- artefact: demo.csv: revenue_eur\n"
    header = parse_header(good, "demo.sql", "demo", 1)
    assert header.artefacts == {"demo.csv": ["sell_eur_per_1k", "revenue_eur"]}
    assert header_problems(header) == []
    bad = GOOD + "-- artefact: demo.csv: revenue_eur, missing_eur, revenue_eur\n-- artefact: demo csv without colon\n"
    found = header_problems(parse_header(bad, "demo.sql", "demo", 1))
    assert "artefact demo.csv: column missing_eur is not a declared column" in found
    assert "artefact demo.csv: column revenue_eur is listed twice" in found
    assert any(p.startswith("artefact line 'demo csv without colon'") for p in found), found
