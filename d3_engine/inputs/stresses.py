"""Stress tests of `simulation.yaml` ([IN-21]): the lender's one-at-a-time what-ifs, checked before a run.

A stress `{name, set: {FILE.KEY: value}, scale: {FILE.KEY: factor}}` names operator keys as `--set`
does ([IN-20], without the `simulation.` file). The rules: a name is used once (`duplicate_name`); a
KEY appears once per stress, `scale` reaches only numeric non-integer keys that are set, a factor is
a number ≥ 0 and `meta.seed` cannot be stressed (`stress_key` for each breach); an unknown KEY is
`unknown_key` with the nearest known key. Stressed values are validated on the default parameter set
like operator values: the schema and the cross-key rules see the stressed document.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from d3_engine.core.formats import round_half_away
from d3_engine.inputs.load import Bundle
from d3_engine.inputs.overrides import SET_FILES, known_key, schema_paths
from d3_engine.inputs.parse import YamlDoc
from d3_engine.inputs.resolved import ResolvedInputs
from d3_engine.inputs.rules import SIM, check_loan_terms, check_public_policy, get, loc_path
from d3_engine.inputs.schemas import did_you_mean, load_schema, validate_yaml
from d3_engine.inputs.variable_defaults import operator_decimal

STRESS_FILES = ("general", "public_tap", "private_tap")
SCALE_PLACES = 6  # a scaled value is rounded half away from zero to 6 decimals ([IN-21])


@dataclass(frozen=True)
class Stress:
    """One valid stress: scenario number (1-based, input order) and its edits per file."""

    scenario: int
    name: str
    sets: tuple[tuple[str, str, Any], ...]  # (file, key, value) in input order
    scales: tuple[tuple[str, str, Decimal], ...]  # (file, key, factor) in input order

    def edits(self, file: str) -> dict[str, tuple[str, Any]]:
        """key → ('set', value) or ('scale', factor) of one file."""
        out: dict[str, tuple[str, Any]] = {k: ("set", v) for f, k, v in self.sets if f == file}
        out.update({k: ("scale", x) for f, k, x in self.scales if f == file})
        return out


def scaled(value: Decimal, factor: Decimal) -> Decimal:
    """value × factor in exact decimal, rounded half away from zero to 6 decimals ([IN-21])."""
    return round_half_away(value * factor, SCALE_PLACES)


def key_node(file: str, key: str) -> dict[str, Any]:
    """Schema node of a known key (maps by their value schema)."""
    node: Any = load_schema(file)
    for part in key.split("."):
        props = node.get("properties") or {}
        node = props[part] if part in props else node["additionalProperties"]
    return node if isinstance(node, dict) else {}


def _is_scalable(file: str, key: str) -> bool:
    """Numeric and not an integer by its schema (percent, EUR, ratio, hours, tokens …)."""
    node = key_node(file, key)
    kinds = node.get("type", [])
    kinds = kinds if isinstance(kinds, list) else [kinds]
    return "number" in kinds and "integer" not in kinds and "enum" not in node


class _StressCheck:
    """The rules of one stress entry; findings at its line of simulation.yaml."""

    def __init__(self, bundle: Bundle, index: int, entry: dict[str, Any]):
        self.bundle, self.index, self.entry = bundle, index, entry
        self.name = str(entry.get("name"))
        self.ok = True

    def where(self, *path: str | int) -> str:
        return loc_path(self.bundle, "simulation", ("stress_tests", self.index, *path))

    def fail(self, code: str, part: str, key: str, message: str, hint: str) -> None:
        self.ok = False
        self.bundle.findings.error(code, SIM, self.where(part, key), f"stress {self.name}: {message}", hint)

    def target(self, part: str, text: str) -> tuple[str, str] | None:
        file, _, key = str(text).partition(".")
        if file not in STRESS_FILES or not key:
            self.fail("stress_key", part, text, f"{text} is not FILE.KEY of an operator file", _FILE_HINT)
        elif not known_key(file, key):
            near = did_you_mean(key, schema_paths(file))
            self.fail("unknown_key", part, text, f"unknown key {text}{near}", f"use a key of {SET_FILES[file]}")
        elif key == "meta.seed":
            self.fail("stress_key", part, text, "meta.seed cannot be stressed", "remove it from the stress")
        else:
            return file, key
        return None

    def run(self) -> Stress | None:
        sets, scales, seen = [], [], set()
        for part in ("set", "scale"):
            for text, value in self.entry[part].items():
                target = self.target(part, text)
                if target is None:
                    continue
                if target in seen:
                    self.fail("stress_key", part, text, f"{text} appears twice in this stress", _ONCE_HINT)
                    continue
                seen.add(target)
                if part == "set":
                    sets.append((*target, value))
                else:
                    factor = self.factor(text, target, value)
                    if factor is not None:
                        scales.append((*target, factor))
        return Stress(self.index + 1, self.name, tuple(sets), tuple(scales)) if self.ok else None

    def factor(self, text: str, target: tuple[str, str], value: Any) -> Decimal | None:
        file, key = target
        factor = operator_decimal(value)
        if factor is None or factor < 0:
            self.fail("stress_key", "scale", text, f"factor {value!r} is not a number ≥ 0", "write e.g. 1.5")
        elif not _is_scalable(file, key):
            self.fail("stress_key", "scale", text, f"{text} is not a non-integer number", _SCALE_HINT)
        elif operator_decimal(get(self.bundle.data(file), key)) is None:
            if not self.bundle.unreadable(file):  # else the operator file's own ERROR is the one to fix
                self.fail("stress_key", "scale", text, f"{text} is not set, so there is nothing to scale", _SET_HINT)
            else:
                self.ok = False
        else:
            return factor
        return None


_FILE_HINT = "write general.KEY, public_tap.KEY or private_tap.KEY (simulation keys cannot be stressed)"
_ONCE_HINT = "give each key once per stress, in set or in scale"
_SCALE_HINT = "use set for integer, text and list keys; scale multiplies numbers such as percent or EUR"
_SET_HINT = "use set to give the key a value"


def _stressed_doc(doc: YamlDoc, stress: Stress, file: str) -> YamlDoc:
    """A copy of an operator document with the stress applied (set, then scale of the YAML value)."""
    data = copy.deepcopy(doc.data)
    for key, (kind, value) in stress.edits(file).items():
        *parents, last = key.split(".")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if kind == "set":
            node[last] = value
        else:
            node[last] = float(scaled(operator_decimal(node[last]) or Decimal(0), value))
    return YamlDoc(doc.rel, data, dict(doc.lines))


def _validate_values(bundle: Bundle, stress: Stress, entry_where: str) -> None:
    """Schema and cross-key rules of the stressed documents on the default parameter set ([IN-21])."""
    for file in STRESS_FILES:
        doc = bundle.docs.get(file)
        if doc is None or not stress.edits(file) or not bundle.schema_ok.get(file):
            continue
        stressed = _stressed_doc(doc, stress, file)
        scratch = Bundle(root=bundle.root, docs={**bundle.docs, file: stressed})
        validate_yaml(file, stressed, scratch.findings)
        if file == "general":
            check_loan_terms(scratch, stressed.data)
        if file == "public_tap":
            check_public_policy(scratch, stressed.data)
        for finding in scratch.findings.errors:
            bundle.findings.error(
                finding.code,
                SIM,
                entry_where,
                f"stress {stress.name}: {SET_FILES[file]} {finding.message}",
                finding.hint,
            )


def check_stresses(bundle: Bundle, resolved: ResolvedInputs) -> list[Stress]:
    """The valid stresses of the resolved simulation.yaml in input order; every problem is a finding."""
    if not bundle.schema_ok.get("simulation"):
        return []
    entries = get(resolved.doc("simulation"), "stress_tests")
    out: list[Stress] = []
    names: dict[str, int] = {}
    for index, entry in enumerate(entries):
        check = _StressCheck(bundle, index, entry)
        if check.name in names:
            bundle.findings.error(
                "duplicate_name",
                SIM,
                check.where("name"),
                f"stress name {check.name} repeats stress {names[check.name] + 1}",
                "give every stress its own name",
            )
            continue
        names[check.name] = index
        stress = check.run()
        if stress is not None:
            _validate_values(bundle, stress, check.where())
            out.append(stress)
    return out


__all__ = ["STRESS_FILES", "Stress", "check_stresses", "key_node", "scaled"]
