"""What a variables row may target and what a valid row becomes ([IN-13] … [IN-16]).

The scopes and the key-path roots a variable may overlay, the units and their ranges, the distributions and
their parameters, the `Variable` a valid row becomes, and the lookups of a key path in the operator schema and
in parsed YAML. The row rules themselves are in `inputs/variables.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from d3_engine.core.rng import VariableSpec
from d3_engine.inputs.schemas import did_you_mean, load_schema

SCOPES = ("general", "public_tap", "private_tap")
SCOPE_OF_PIPELINE = {"public": "public_tap", "private": "private_tap"}
ALLOWED_ROOTS = {
    "general": ("finance.", "insurances.", "tax.", "loan.", "working_capital.", "inflation.", "reserves."),
    "public_tap": ("pricing_policy.public_tap.", "prepaid_policy.credits.", "acquisition.", "autoscaling."),
    "private_tap": ("pricing_policy.private_tap.", "prepaid_policy.private_tap.", "acquisition."),
}
UNIT_RANGES: dict[str, tuple[Decimal, Decimal | None]] = {
    "percent": (Decimal(0), Decimal(100)),
    "fraction": (Decimal(0), Decimal(1)),
    **{
        u: (Decimal(0), None)
        for u in (
            "ratio",
            "EUR",
            "EUR_per_month",
            "EUR_per_1k",
            "EUR_per_1M",
            "tokens",
            "hours",
            "days",
            "months",
            "count",
            "seconds",
        )
    },
}
INTEGER_UNITS = {"months", "count", "seconds"}
DIST_PARAMS = {"uniform": set(), "normal": {"sd"}, "lognormal": {"sd"}, "beta": {"a", "b"}, "triangular": {"mode"}}


@dataclass(frozen=True)
class Variable:
    """One validated variable row."""

    scope: str
    variable_id: str
    path: str
    treatment: str
    unit: str
    kind: str  # numeric | discrete
    file: str
    values: Sequence[Decimal | str]  # the lattice (numeric, lazy) or values= (discrete)
    default: Decimal | str
    spec: VariableSpec
    default_from: str = "csv"  # csv | operator (empty default, [IN-19]) | --set[i] ([IN-20])

    @property
    def is_integer(self) -> bool:
        return self.unit in INTEGER_UNITS


def key_schema(scope: str, path: str) -> dict[str, Any] | None:
    """Schema node of an operator key path, following properties and map values."""
    node: Any = load_schema(scope)
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        props = node.get("properties") or {}
        if part in props:
            node = props[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return node if isinstance(node, dict) else None


def leaf_value(data: Any, path: str) -> tuple[bool, Any]:
    """(exists, value) of a dotted path in parsed YAML."""
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def unknown_path_hint(scope: str, path: str, data: Any) -> str:
    """A did-you-mean for a variable path (used in messages)."""
    leaves: list[str] = []

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else str(k))
        else:
            leaves.append(prefix)

    walk(data, "")
    return did_you_mean(path, leaves)
