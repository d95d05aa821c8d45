"""What an input column or key means, read from its JSON Schema: the COMMENTs of the `input_*`, `params_*` and
`run_settings` tables in run.duckdb.

The schemas in `specs/schemas/` are the one place an input is described: a CSV column's `description` (with its
`[unit: …]` and DOMAIN ids), a YAML key's `x-unit` and optional `description`, the file's DOMAIN id in the schema's
own description, and an optional key's DOMAIN id in the resolved-input record ([V12-5]).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from d3_engine.inputs.resolved import OPTIONAL_KEYS
from d3_engine.inputs.schemas import load_schema

# x-unit of the schemas → the unit vocabulary of run.duckdb COMMENTs (specs/engine.md § Units).
_UNITS = {
    "EUR_per_month": "EUR/month",
    "EUR_per_1k": "EUR/1k tokens",
    "EUR_per_1M": "EUR/1M tokens",
    "fraction": "ratio",
    "enum": "text",
}


def file_title(schema_name: str) -> str:
    """The input file a schema describes, e.g. `operator/public_tap.yaml`."""
    return str(load_schema(schema_name).get("title", schema_name))


def file_ids(schema_name: str) -> str:
    """The DOMAIN ids the schema's description names, e.g. `[IN-8]`."""
    text = str(load_schema(schema_name).get("description", ""))
    match = re.search(r"\(DOMAIN ([^)]*)\)", text)
    return " ".join(f"[{i.strip()}]" for i in match.group(1).split(",")) if match else ""


def csv_column_comment(schema_name: str, column: str) -> str:
    """A CSV column's COMMENT: its schema description, or what an additional (untyped) column is."""
    prop = load_schema(schema_name).get("properties", {}).get(column)
    if prop is not None and prop.get("description"):
        return str(prop["description"])
    return f"additional column of {file_title(schema_name)}, kept as written; not typed by the schema [unit: text]"


@cache
def _yaml_nodes(schema_name: str) -> dict[str, dict[str, Any]]:
    """Every key path of a YAML schema → its schema node."""
    out: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, sub in (node.get("properties") or {}).items():
            path = f"{prefix}.{key}" if prefix else key
            out[path] = sub
            if isinstance(sub.get("additionalProperties"), dict):  # a mapping: `*` stands for each of its keys
                out[f"{path}.*"] = sub["additionalProperties"]
            walk(sub, path)

    walk(load_schema(schema_name), "")
    return out


def key_unit(node: dict[str, Any]) -> str:
    """The unit of a YAML key in the vocabulary of specs/engine.md: its x-unit, else flag or text."""
    kinds = node.get("type", "string")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "x-unit" in node:
        unit = str(node["x-unit"])
        return _UNITS.get(unit, unit)
    return "flag" if "boolean" in kinds else "text"


def key_comment(schema_name: str, path: str, how: str = "") -> str:
    """A YAML key's COMMENT: file and key, `how` the table derived it, description, DOMAIN ids and unit."""
    node = _yaml_nodes(schema_name).get(path, {})
    optional = [k.domain for k in OPTIONAL_KEYS if k.file == schema_name and k.key == path]
    ids = " ".join(dict.fromkeys([f"[{d}]" for d in optional] + [file_ids(schema_name)]))
    described = f": {node['description']}" if node.get("description") else ""
    return f"{file_title(schema_name)} key {path}{described}{how} {ids} [unit: {key_unit(node)}]"
