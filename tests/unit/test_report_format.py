"""Numbers for people in the report ([OUT-10]): money, prices, percentages, counts, missing values.

Rounding is half away from zero on the exact decimal of the value (a float through its shortest
round-trip text, [GEN-4]), so a report figure is the [OUT-3] CSV figure with separators added.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from d3_engine.report.format import MISSING, eur, eur_rate, format_value, month_label, pct, plural
from d3_engine.report.tables import BY_UNIT, Column, ReportTable


def test_money_has_euro_sign_and_thousands_separators() -> None:
    assert eur(12345.67) == "€ 12,345.67"
    assert eur(Decimal("1234567.891")) == "€ 1,234,567.89"
    assert eur(Decimal("-2599.16")) == "-€ 2,599.16"  # [EX-8] net income month 1
    assert eur(0) == "€ 0.00"


def test_money_rounds_half_away_from_zero_on_the_shortest_text() -> None:
    """2.675 is 2.67499999… in binary; its text 2.675 rounds to 2.68, like the CSVs ([OUT-3])."""
    assert eur(2.675) == "€ 2.68"
    assert eur(Decimal("-0.005")) == "-€ 0.01"
    assert eur(Decimal("8865.6555")) == "€ 8,865.66"  # [EX-8] cash_end
    assert eur(-0.004) == "€ 0.00"  # never a negative zero


def test_unit_prices_keep_their_significant_decimals() -> None:
    """Prices per 1k tokens are fractions of a cent ([EX-4]); at least 2 decimals, at most 6."""
    assert eur_rate(0.000283333) == "€ 0.000283"
    assert eur_rate(0.001) == "€ 0.001"
    assert eur_rate(1.7) == "€ 1.70"
    assert eur_rate(0.396) == "€ 0.396"  # [EX-6] median GPU-A


def test_percentages_and_missing_values() -> None:
    assert pct(71.66666666666667) == "71.67 %"  # [EX-4] Small 7B margin
    assert pct(Decimal("0.000002")) == "0.00 %"
    assert pct(None) == eur(None) == MISSING
    assert format_value("ratio", None) == MISSING


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        ("int", 5040, "5,040"),
        ("tokens", 3.01e9, "3,010,000,000"),
        ("count", 24.2, "24.2"),
        ("hours", 300.0, "300.0"),
        ("ratio", Decimal("-29.961950"), "-29.96"),
        ("num", 60.0, "60"),
        ("num", 0.125, "0.125"),
        ("bool", True, "yes"),
        ("text", "annuity", "annuity"),
        ("eur", float("inf"), "€ ∞"),
    ],
)
def test_format_value_per_kind(kind: str, value: object, text: str) -> None:
    assert format_value(kind, value) == text


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report column kind"):
        format_value("money", 1)


def test_calendar_labels_and_plurals() -> None:
    """[GEN-2]: month t is start + (t − 1); the shipped plan starts 2025-10."""
    assert month_label(2025, 10, 1) == "2025-10"
    assert month_label(2025, 10, 4) == "2026-01"
    assert month_label(2025, 10, 18) == "2027-03"
    assert plural(1, "path") == "1 path"
    assert plural(1250, "path") == "1,250 paths"


def test_column_name_and_kind_must_agree() -> None:
    """The CSV precision follows the name ([OUT-3]), the display the kind: money must end in _eur."""
    with pytest.raises(ValueError, match="_eur"):
        Column("revenue", "Revenue", "eur")
    with pytest.raises(ValueError, match="_pct"):
        Column("margin", "Margin", "pct")


def test_report_table_csv_keeps_out3_formats(tmp_path: Path) -> None:
    """Display for people, CSV per [OUT-3]: `_eur` 2 decimals, `_pct` 4, int columns, by-unit rows."""
    table = ReportTable(
        "t",
        "T",
        [
            Column("month", "Month", "int"),
            Column("revenue_eur", "Revenue", "eur"),
            Column("margin_pct", "Margin", "pct"),
            Column("tokens", "Tokens", "tokens"),
            Column("unit", "Unit"),
            Column("value", "Value", BY_UNIT),
        ],
        [[1, Decimal("1910.6"), 71.66666666666667, 1.0e9, "EUR", Decimal("-3826.72")],
         [2, None, None, 0.0, "percent", Decimal("30.43842")]],
    )  # fmt: skip
    assert table.display_rows() == [
        ["1", "€ 1,910.60", "71.67 %", "1,000,000,000", "EUR", "-€ 3,826.72"],
        ["2", "–", "–", "0", "percent", "30.44 %"],
    ]
    text = table.write_csv(tmp_path).read_text(encoding="utf-8")
    assert text == (
        "month,revenue_eur,margin_pct,tokens,unit,value\n"
        "1,1910.60,71.6667,1000000000.000000,EUR,-3826.72\n"
        "2,,,0.000000,percent,30.4384\n"
    )
