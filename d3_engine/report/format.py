"""Numbers for people in report.md / report.html ([OUT-10]); the CSVs keep the [OUT-3] formats.

One small helper decides how a value reads in the report: `€ 12,345.67` for money, `33.33 %` for
percentages, thousands separators on counts and tokens, `–` for a value that does not exist (a
null ratio, a skipped check). Rounding is half away from zero on the value's exact decimal (a float
through its shortest round-trip text, [GEN-4]), the same rule as the CSVs, so a report figure is
the CSV figure with separators added, never a different rounding.
"""

from __future__ import annotations

from d3_engine.core.formats import round_half_away, to_decimal

MISSING = "–"
"""Shown for null values (e.g. a ratio whose denominator is 0, [FIN-9])."""

KINDS = (
    "text",
    "eur",
    "eur_rate",
    "pct",
    "int",
    "count",
    "tokens",
    "hours",
    "ratio",
    "num",
    "bool",
)
"""Display kinds of a report column; `format_value` knows each of them."""


def grouped(value: object, places: int) -> str:
    """`value` rounded half away from zero to `places` decimals, with `,` thousands separators."""
    d = to_decimal(value)
    if d is None:
        return MISSING
    if d.is_infinite():
        return "∞" if d > 0 else "-∞"
    return format(round_half_away(d, places), ",f")


def eur(value: object, places: int = 2) -> str:
    """Money: `€ 12,345.67`, `-€ 1,234.50`; `–` for null."""
    text = grouped(value, places)
    if text == MISSING:
        return text
    return f"-€ {text[1:]}" if text.startswith("-") else f"€ {text}"


def eur_rate(value: object) -> str:
    """A unit price (EUR per hour, per 1k or 1M tokens): up to 6 decimals, at least 2, no trailing zeros.

    Prices per 1 000 tokens are fractions of a cent (`€ 0.000283`); cutting them to cents would hide
    the derivation the report explains ([PUB-5]).
    """
    text = grouped(value, 6)
    if text == MISSING:
        return text
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    text = f"{whole}.{frac}"
    return f"-€ {text[1:]}" if text.startswith("-") else f"€ {text}"


def pct(value: object, places: int = 2) -> str:
    """A percentage held as 0..100 ([GEN-3]): `33.33 %`."""
    text = grouped(value, places)
    return text if text == MISSING else f"{text} %"


def format_value(kind: str, value: object) -> str:
    """Text of one report cell of display kind `kind` (one of `KINDS`).

    Raises:
        ValueError: for an unknown kind.
    """
    if value is None:
        return MISSING
    if kind == "text":
        return str(value)
    if kind == "bool":
        return "yes" if value else "no"
    formatter = _FORMATTERS.get(kind)
    if formatter is None:
        raise ValueError(f"unknown report column kind {kind!r}; expected one of {', '.join(KINDS)}")
    return formatter(value)


_FORMATTERS = {
    "eur": eur,
    "eur_rate": eur_rate,
    "pct": pct,
    "int": lambda v: grouped(v, 0),
    "count": lambda v: grouped(v, 1),
    "tokens": lambda v: grouped(v, 0),
    "hours": lambda v: grouped(v, 1),
    "ratio": lambda v: grouped(v, 2),
    "num": lambda v: _stripped(grouped(v, 4)),
}


def _stripped(text: str) -> str:
    """Drop trailing zeros of a decimal text (`60.0000` → `60`, `0.5000` → `0.5`)."""
    if "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def month_label(start_year: int, start_month: int, month: int) -> str:
    """Calendar label `YYYY-MM` of plan month `month` ([GEN-2]: start month + (t − 1))."""
    index = start_year * 12 + (start_month - 1) + (month - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def plural(n: int, noun: str) -> str:
    """`1 path`, `1,250 paths`: a count with its noun (English `s` plural)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
