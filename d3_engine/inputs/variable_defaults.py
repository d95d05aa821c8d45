"""One source for every value: empty defaults and the shadowing warning ([IN-19], [V12-4], [IN-20]).

A variables row MAY leave `default` empty (fixed and random rows): the operator value at its path
(after `--set`) is then the default. A row whose `default` is set and differs from the operator value
(exact decimal comparison) hides that YAML value; d3 says so with WARNING `variable_shadows_operator`,
naming both places. A `--set` on a key that a fixed row targets replaces the row's value (the command
line is the last word, no warning); on a random row with a set default or on a grid axis it is ERROR
`set_targets_variable`, because the command line cannot say which of the many values it means.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from d3_engine.core.errors import Findings
from d3_engine.core.formats import to_decimal

OPERATOR_FILES = {
    "general": "operator/general.yaml",
    "public_tap": "operator/public_tap.yaml",
    "private_tap": "operator/private_tap.yaml",
}
SHADOW_VERB = {"fixed": "fixes", "random": "centres its draws of", "low_to_high": "puts the default set of"}


@dataclass(frozen=True)
class RowPlace:
    """Where a variables row is and what it targets: the pieces a finding about it needs."""

    rel: str  # variables/<scope>.csv
    line: int
    scope: str
    variable_id: str
    path: str
    treatment: str


def operator_decimal(value: Any) -> Decimal | None:
    """The exact decimal of a parsed YAML number (its shortest text), None for anything else.

    The [IN-2] parser keeps integers as int and decimals as float whose shortest repr is the text
    written in the YAML, so `to_decimal` (the one float → decimal conversion) gives the value the user
    wrote, not a binary approximation of it.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = to_decimal(value)
    return result if result is not None and result.is_finite() else None


def operator_text(value: Any) -> str:
    """The operator value as the user wrote it (for messages)."""
    number = operator_decimal(value)
    return format(number, "f") if number is not None else str(value)


def yaml_place(lines: dict[tuple[Any, ...], int] | None, scope: str, path: str) -> str:
    """`operator/<scope>.yaml:<line>` of a key path, or just the file when the line is unknown."""
    line = (lines or {}).get(tuple(path.split(".")))
    return f"{OPERATOR_FILES[scope]}:{line}" if line else OPERATOR_FILES[scope]


def same_value(csv_default: Decimal | str, operator_value: Any) -> bool:
    """Exact comparison of a CSV default and an operator value ([IN-19]): decimals by value, text by text."""
    if isinstance(csv_default, Decimal):
        number = operator_decimal(operator_value)
        return number is not None and number == csv_default
    return isinstance(operator_value, str) and operator_value.strip() == csv_default


def warn_shadowing(
    findings: Findings, place: RowPlace, csv_default: Decimal | str, operator_value: Any, yaml_where: str
) -> None:
    """WARNING `variable_shadows_operator` at the CSV line, naming both values and the YAML place."""
    shown = format(csv_default, "f") if isinstance(csv_default, Decimal) else csv_default
    verb = SHADOW_VERB.get(place.treatment, "sets")
    findings.warning(
        "variable_shadows_operator",
        place.rel,
        f"line {place.line}",
        f"{place.variable_id} {verb} {place.path} = {shown}, so {operator_text(operator_value)} in {yaml_where} "
        "is not used",
        "change the default here, or leave it empty to use the YAML value",
    )


def refuse_set(findings: Findings, place: RowPlace, set_index: int) -> None:
    """ERROR `set_targets_variable`: a `--set` on a grid axis or a random row with its own default."""
    if place.treatment == "low_to_high":
        why = f"it is the grid axis {place.variable_id} of {place.rel}:{place.line}, which takes every lattice value"
        fix = f"change min/max/step of {place.variable_id} in {place.rel}, or make the row fixed"
    else:
        why = f"the random variable {place.variable_id} of {place.rel}:{place.line} draws it around its own default"
        fix = f"leave the default of {place.variable_id} empty in {place.rel} so --set moves the centre of its draws"
    findings.error(
        "set_targets_variable",
        OPERATOR_FILES[place.scope],
        f"--set[{set_index}]",
        f"--set cannot change {place.path}: {why}",
        fix,
    )


__all__ = [
    "OPERATOR_FILES",
    "RowPlace",
    "operator_decimal",
    "operator_text",
    "refuse_set",
    "same_value",
    "warn_shadowing",
    "yaml_place",
]
