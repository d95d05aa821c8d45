"""`--set FILE.KEY=VALUE`: what-if values from the command line, applied before validation ([IN-20]).

Each override is read like a YAML scalar by the project's [IN-2] parser (a flow sequence `[a, b]`
replaces a list whole, `null` unsets an optional key), checked against the file's schema (an unknown
key is ERROR `unknown_key` with the nearest known key) and written into the parsed document in order.
Every rule of §1 then applies to it as to any YAML value, and a finding about an overridden key names
`--set[i]` (1-based) as its location. The list `[FILE.KEY, VALUE text]` is recorded in
`run_summary.cli_overrides` and enters the run id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from d3_engine.core.errors import Findings
from d3_engine.inputs.parse import YamlDoc, YamlProblem, parse_yaml
from d3_engine.inputs.schemas import did_you_mean, load_schema
from d3_engine.inputs.variable_keys import key_schema

#: FILE of `--set FILE.KEY=VALUE` → the YAML document it edits.
SET_FILES = {
    "simulation": "simulation.yaml",
    "general": "operator/general.yaml",
    "public_tap": "operator/public_tap.yaml",
    "private_tap": "operator/private_tap.yaml",
}


@dataclass(frozen=True)
class SetOverride:
    """One `--set` of the command line, parsed."""

    index: int  # 1-based position on the command line
    file: str  # simulation | general | public_tap | private_tap
    key: str  # dotted path of mapping keys
    text: str  # VALUE as typed
    value: Any  # VALUE read by the [IN-2] parser

    @property
    def name(self) -> str:
        """`FILE.KEY`, as recorded in run_summary.cli_overrides."""
        return f"{self.file}.{self.key}"

    @property
    def where(self) -> str:
        return f"--set[{self.index}]"


def _syntax(findings: Findings, index: int, message: str, hint: str) -> None:
    findings.error("set_syntax", "command line", f"--set[{index}]", message, hint)


def _split(index: int, raw: str, findings: Findings) -> tuple[str, str, str] | None:
    """(file, key, value text) of one `--set`, or None after ERROR `set_syntax`."""
    target, eq, text = raw.partition("=")
    target = target.strip()
    file, dot, key = target.partition(".")
    example = "write --set FILE.KEY=VALUE, e.g. --set general.loan.interest_rate_pct=6.5"
    if not eq:
        _syntax(findings, index, f"'{raw}' has no '='", example)
    elif not dot or not key or "" in key.split("."):
        _syntax(findings, index, f"'{raw}' names no key after the file", example)
    elif file not in SET_FILES:
        _syntax(
            findings,
            index,
            f"'{file}' is not a file --set can change{did_you_mean(file, list(SET_FILES))}",
            f"use one of: {', '.join(SET_FILES)}",
        )
    else:
        return file, key, text.strip()
    return None


def _read_value(index: int, text: str, findings: Findings) -> tuple[bool, Any]:
    """(ok, value) of VALUE read as the scalar of a one-key YAML document ([IN-2])."""
    try:
        doc = parse_yaml(f"--set[{index}]", f"value: {text}\n")
    except YamlProblem as problem:
        _syntax(
            findings, index, f"the value '{text}' cannot be read: {problem.message}", "quote text, write [a, b] lists"
        )
        return False, None
    return True, doc.data.get("value") if isinstance(doc.data, dict) else None


def schema_paths(name: str) -> list[str]:
    """Every dotted key path the schema of a file names (for did-you-mean)."""
    out: list[str] = []

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, sub in (node.get("properties") or {}).items():
            path = f"{prefix}.{key}" if prefix else key
            out.append(path)
            if isinstance(sub, dict):
                walk(sub, path)

    walk(load_schema(name), "")
    return out


def known_key(name: str, key: str) -> bool:
    """True when the schema of `name` allows the dotted mapping path `key` (map entries included)."""
    return key_schema(name, key) is not None


def parse_sets(texts: list[str], findings: Findings) -> list[SetOverride]:
    """The valid overrides of the command line, in order; every problem is a finding."""
    out: list[SetOverride] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(texts, start=1):
        parts = _split(index, raw, findings)
        if parts is None:
            continue
        file, key, text = parts
        name = f"{file}.{key}"
        if name in seen:
            _syntax(findings, index, f"{name} is already set by --set[{seen[name]}]", "give each key once")
            continue
        seen[name] = index
        if not known_key(file, key):
            findings.error(
                "unknown_key",
                SET_FILES[file],
                f"--set[{index}]",
                f"unknown key {key}{did_you_mean(key, schema_paths(file))}",
                f"use a key of {SET_FILES[file]} (see `d3 schema`)",
            )
            continue
        ok, value = _read_value(index, text, findings)
        if ok:
            out.append(SetOverride(index, file, key, text, value))
    return out


def apply_set(doc: YamlDoc, override: SetOverride, findings: Findings) -> None:
    """Write one override into a parsed document; a key absent from the file is added ([IN-20])."""
    node = doc.data
    *parents, last = override.key.split(".")
    for depth, part in enumerate(parents):
        child = node.get(part) if isinstance(node, dict) else None
        if child is None and isinstance(node, dict):
            child = node[part] = {}
        if not isinstance(child, dict):
            where = ".".join(parents[: depth + 1])
            findings.error(
                "type_error",
                doc.rel,
                override.where,
                f"{override.key}: {where} is not a mapping in {doc.rel}, so it has no key {last}",
                "set the whole value of the key instead",
            )
            return
        node = child
    node[last] = override.value
    doc.set_at[tuple(override.key.split("."))] = override.index


__all__ = ["SET_FILES", "SetOverride", "apply_set", "known_key", "parse_sets", "schema_paths"]
