"""JSON Schemas of the input files and their application (DOMAIN IN-3, IN-18).

The schemas live in `specs/schemas/*.v1.json`. YAML files are checked as documents; CSV files
are checked row by row after each cell is typed from its text. Every schema violation becomes a
finding with the file, line, key or column, and a hint.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from d3_engine.core.errors import Finding, Findings
from d3_engine.core.files import schemas_dir
from d3_engine.inputs.parse import NUMBER_TEXT, CsvText, KeyPath, YamlDoc

INTEGER_TEXT = re.compile(r"^[+-]?\d+(\.0*)?$")


# JSON Schema calls 12.0 an integer; YAML calls it a float. d3 sides with YAML so that `term_months: 12.0`
# is a type_error instead of a float reaching code that counts months (CSV cells are typed from text
# before this check, so "12" and "12.0" there are both the integer 12).
Validator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    ),
)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema `specs/schemas/<name>.v1.json` as a dict."""
    path = schemas_dir() / f"{name}.v1.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def all_schemas() -> dict[str, dict[str, Any]]:
    """Every schema keyed by its file name (for `d3 schema`)."""
    return {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(schemas_dir().glob("*.json"))}


def did_you_mean(word: str, choices: list[str]) -> str:
    """`did you mean 'x'?` for the closest choice with difflib ratio ≥ 0.6, else ''."""
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def did_you_mean_for(wanted: str, present: list[str]) -> str:
    """` (is 'x' meant to be it?)` when a present name is close to a wanted one, else ''."""
    match = difflib.get_close_matches(wanted, present, n=1, cutoff=0.6)
    return f" (is '{match[0]}' meant to be it?)" if match else ""


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _find_non_finite(value: Any, path: KeyPath = ()) -> list[KeyPath]:
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _find_non_finite(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _find_non_finite(v, (*path, i))]
    return []


def _subschema(root: dict[str, Any], schema_path: list[Any]) -> list[dict[str, Any]]:
    """Schemas along a jsonschema `absolute_schema_path`, outermost first."""
    chain, node = [root], root
    for part in schema_path:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
        if in_dict or in_list:
            node = node[part]
        else:
            break
        if isinstance(node, dict):
            chain.append(node)
    return chain


TYPE_WORDS = {
    "object": "a mapping of keys",
    "array": "a list",
    "number": "a number",
    "integer": "a whole number",
    "string": "text",
    "boolean": "true or false",
    "null": "nothing (null)",
}
THOUSANDS = re.compile(r"^[+-]?\d{1,3}([,. '_]\d{3})+([.,]\d+)?$")


def _got(value: Any) -> str:
    """How a person would describe a YAML value that has the wrong type."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a YAML boolean: yes/no/on/off/true/false are booleans)"
    if isinstance(value, str) and THOUSANDS.match(value.strip()):
        return f"'{value}' (text: thousands separators are not allowed in numbers)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return f"{value!r}" + (" (text)" if isinstance(value, str) else "")


def num(value: Any) -> str:
    """A number as a person writes it (60, not 60.0); anything else as text."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def _range_text(schema: dict[str, Any]) -> str:
    """`[0, 95]`, `> 0` or `≥ 1` for a schema's bounds (the hint says `use a value …`)."""
    low, high = (
        schema.get("minimum", schema.get("exclusiveMinimum")),
        schema.get("maximum", schema.get("exclusiveMaximum")),
    )
    if low is not None and high is not None:
        left = "(" if "exclusiveMinimum" in schema else "["
        right = ")" if "exclusiveMaximum" in schema else "]"
        return f"in {left}{num(low)}, {num(high)}{right}"
    if low is not None:
        return f"{'>' if 'exclusiveMinimum' in schema else '≥'} {num(low)}"
    return f"{'<' if 'exclusiveMaximum' in schema else '≤'} {num(high)}"


def _describe(error: ValidationError) -> tuple[str, str, str]:
    """(code, message, hint) for one schema error."""
    kind = error.validator
    schema = error.schema if isinstance(error.schema, dict) else {}
    if kind == "type":
        expected = error.validator_value
        kinds = [k for k in (expected if isinstance(expected, list) else [expected]) if k != "null"]
        text = " or ".join(TYPE_WORDS.get(k, k) for k in kinds) or "nothing"
        hint = f"write {text}"
        if "number" in kinds or "integer" in kinds:
            hint += " as a plain decimal such as 1234.5 (no quotes, separators, NaN or inf)"
        return ("type_error", f"expected {text}, got {_got(error.instance)}", hint)
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        rng = _range_text(schema)
        unit = _unit(schema)
        unit_text = f" ({unit})" if unit else ""
        return ("out_of_range", f"value {num(error.instance)} is not {rng}{unit_text}", f"use a value {rng}")
    if kind == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value if v is not None)
        return ("bad_enum", f"{error.instance!r} is not one of: {allowed}", f"use one of: {allowed}")
    if kind in ("minItems", "uniqueItems", "minProperties"):
        return ("out_of_range", error.message, "give at least one entry and no repeats")
    if kind in ("pattern", "propertyNames"):
        return ("type_error", error.message, "use lower-case letters, digits and underscores")
    if kind == "minLength":
        return ("missing_key", "the value is empty", "give a non-empty value")
    return ("type_error", error.message, "correct the value to match the schema")


def _unit(schema: dict[str, Any]) -> str | None:
    """A value's unit for a message: the `[unit: …]` of its description (USD/GPU-hour, GB), else its `x-unit`
    (a CSV column's x-unit can be the generic `ratio` of a positive number)."""
    found = re.search(r"\[unit: ([^\]]+)\]", str(schema.get("description", "")))
    return found.group(1) if found else schema.get("x-unit")


def _x_code(root: dict[str, Any], error: ValidationError) -> str | None:
    for sub in reversed(_subschema(root, list(error.absolute_schema_path))):
        if "x-code" in sub:
            return str(sub["x-code"])
    return None


def validate_yaml(name: str, doc: YamlDoc, findings: Findings) -> bool:
    """Check a YAML document against its schema; report every violation. True when clean."""
    schema = load_schema(name)
    ok = True
    for path in _find_non_finite(doc.data):
        ok = False
        findings.error(
            "type_error",
            doc.rel,
            _yaml_loc(doc, path),
            f"{_dotted(path)}: NaN or infinity is not a number d3 accepts",
            "write a finite number",
        )
    validator = Validator(schema)
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: [str(p) for p in e.absolute_path]):
        ok = False
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties":
            allowed = sorted((error.schema.get("properties") or {}).keys())
            extras = [k for k in error.instance if k not in allowed]
            for key in extras:
                full = (*path, key)
                findings.error(
                    "unknown_key",
                    doc.rel,
                    _yaml_loc(doc, full),
                    f"unknown key {_dotted(full)}{did_you_mean(key, allowed)}",
                    f"remove it or use one of: {', '.join(allowed)}",
                )
            continue
        if error.validator == "required":
            missing = [k for k in error.validator_value if k not in (error.instance or {})]
            for key in missing:
                findings.error(
                    "missing_key",
                    doc.rel,
                    _yaml_loc(doc, path),
                    f"required key {_dotted((*path, key))} is missing",
                    f"add '{key}' under {_dotted(path)}",
                )
            continue
        code, message, hint = _describe(error)
        code = _x_code(schema, error) or code
        findings.error(code, doc.rel, _yaml_loc(doc, path), f"{_dotted(path)}: {message}", hint)
    return ok


def _yaml_loc(doc: YamlDoc, path: KeyPath) -> str:
    return doc.where(path)


@dataclass
class CsvRow:
    """One typed CSV row: canonical column → value (None = null), plus raw text and line."""

    line: int
    values: dict[str, Any]
    text: dict[str, str] = field(default_factory=dict)


@dataclass
class CsvTable:
    """A typed CSV dataset: canonical columns present, rows, extra descriptive columns."""

    rel: str
    columns: list[str]
    rows: list[CsvRow]
    extra_columns: list[str]


def _column_type(prop: dict[str, Any]) -> str:
    kind = prop.get("type", "string")
    kinds = kind if isinstance(kind, list) else [kind]
    for candidate in ("integer", "number"):
        if candidate in kinds and "string" not in kinds:
            return candidate
    return "string"


def _type_cell(text: str, kind: str) -> tuple[Any, str | None]:
    """Typed value of a cell, or (None, reason) when the text is not of the kind."""
    value = text.strip()
    if kind == "string":
        return value, None
    low = value.lower()
    if low in ("nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"):
        return None, f"'{value}' is not a finite number"
    if low in ("true", "false", "yes", "no"):
        return None, f"'{value}' is a boolean, a number is expected"
    if not NUMBER_TEXT.match(value):
        if THOUSANDS.match(value):
            return None, f"'{value}' uses a thousands separator"
        return None, f"'{value}' is not a plain decimal number"
    if kind == "integer":
        if not INTEGER_TEXT.match(value):
            return None, f"'{value}' is not a whole number"
        whole = float(value)
        if not abs(whole) < 2**63:  # DuckDB and NumPy hold 64-bit integers (and int(inf) would crash)
            return None, f"'{value[:20]}' ({len(value)} characters) is too large for an integer"
        return int(whole), None
    number = float(value)
    if not math.isfinite(number):
        return None, f"'{value}' is not a finite number"
    return number, None


def normalise_header(csv_text: CsvText, schema: dict[str, Any], findings: Findings) -> list[str] | None:
    """Canonical column names of a header, or None when it is unusable."""
    rel = csv_text.rel
    props = schema.get("properties", {})
    aliases: dict[str, str] = schema.get("x-aliases", {})
    allowed_extra = schema.get("additionalColumns") == "allowed"
    names = [h.strip().lower() for h in csv_text.header]
    loc = f"line {csv_text.header_line}"
    ok = True
    first_name: dict[str, str] = {}
    canonical: list[str] = []
    for name in names:
        canon = aliases.get(name, name)
        if canon in first_name:
            pair = first_name[canon] != name
            findings.error(
                "alias_conflict" if pair else "parse_error",
                rel,
                loc,
                f"column '{name}' is given twice" + (f" (with '{first_name[canon]}')" if pair else ""),
                "keep one column of each name; do not give a column and its alias together",
            )
            ok = False
        first_name.setdefault(canon, name)
        canonical.append(canon)
        if canon not in props and not allowed_extra:
            choices = sorted(set(props) | set(aliases))
            findings.error(
                "unknown_column",
                rel,
                loc,
                f"unknown column '{name}'{did_you_mean(name, choices)}",
                f"remove it or use one of: {', '.join(sorted(props))}",
            )
            ok = False
    for required in schema.get("x-required-columns", []):
        if required not in first_name:
            alias_text = [a for a, c in aliases.items() if c == required]
            also = f" (or its alias {alias_text[0]})" if alias_text else ""
            extras = [n for n in names if n not in props and n not in aliases]
            findings.error(
                "missing_column",
                rel,
                loc,
                f"required column '{required}'{also} is missing{did_you_mean_for(required, extras)}",
                f"add a '{required}' column to the header",
            )
            ok = False
    return canonical if ok else None


def type_csv(name: str, csv_text: CsvText, findings: Findings) -> CsvTable | None:
    """Type every cell of a CSV by its schema and validate each row; None when unusable."""
    schema = load_schema(name)
    columns = normalise_header(csv_text, schema, findings)
    if columns is None:
        return None
    props = schema.get("properties", {})
    row_schema = {k: v for k, v in schema.items() if k not in ("additionalProperties",)}
    row_schema["additionalProperties"] = True
    validator = Validator(row_schema)
    rows: list[CsvRow] = []
    extra = [c for c in columns if c not in props]
    for line, record in csv_text.records:
        values: dict[str, Any] = {}
        texts: dict[str, str] = {}
        for column, cell in zip(columns, record, strict=True):
            texts[column] = cell
            if column not in props:
                values[column] = cell.strip() or None  # descriptive column: kept as text
                continue
            if not cell.strip():
                values[column] = None
                continue
            typed, problem = _type_cell(cell, _column_type(props[column]))
            if problem:
                findings.error(
                    "type_error",
                    csv_text.rel,
                    f"line {line}",
                    f"column {column}: {problem}",
                    "write a plain decimal number such as 1234.5 (no NaN, inf, or separators)",
                )
            values[column] = typed
        _check_row(schema, validator, csv_text.rel, line, values, texts, findings)
        rows.append(CsvRow(line=line, values=values, text=texts))
    return CsvTable(rel=csv_text.rel, columns=columns, rows=rows, extra_columns=extra)


def _check_row(
    schema: dict[str, Any],
    validator: Any,
    rel: str,
    line: int,
    values: dict[str, Any],
    texts: dict[str, str],
    findings: Findings,
) -> None:
    """Schema rules of one typed CSV row; a property's `x-code` names its domain code (e.g. bad_offer)."""
    props = schema.get("properties", {})
    present = {k: v for k, v in values.items() if v is not None and k in props}
    for error in validator.iter_errors(present):
        if error.validator == "required":
            for key in error.validator_value:
                # A cell with text that failed typing is already reported as a type_error.
                if key not in present and key in values and not (texts.get(key) or "").strip():
                    findings.error(
                        str(props.get(key, {}).get("x-code", "missing_column")),
                        rel,
                        f"line {line}",
                        f"column {key}: a value is required but the cell is empty",
                        f"fill in '{key}' on this row",
                    )
            continue
        code, message, hint = _describe(error)
        code = _x_code(schema, error) or code
        column = str(error.absolute_path[0]) if error.absolute_path else ""
        findings.error(code, rel, f"line {line}", f"column {column}: {message}", hint)


def _cell_text(value: Any) -> str | None:
    """A YAML row value as the CSV cell that would say the same (IN-4); None for a nested value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()  # typed like a CSV 'true': a boolean where a number is expected
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int | str):
        return str(value)
    return None


def type_yaml_rows(name: str, doc: YamlDoc, findings: Findings) -> CsvTable | None:
    """A tabular dataset given as YAML (IN-4): a list of mappings with the CSV's columns.

    Each mapping becomes a CSV record (absent key = empty cell) and is typed exactly like the CSV,
    so both forms of a dataset obey the same rules and give the same values.
    """
    if not isinstance(doc.data, list) or not all(isinstance(r, dict) for r in doc.data):
        findings.error(
            "parse_error",
            doc.rel,
            "line 1",
            "a tabular dataset in YAML must be a list of mappings",
            "write one '- column: value' mapping per row",
        )
        return None
    if not doc.data:  # an empty list: a header-only dataset
        columns = list(load_schema(name).get("x-required-columns", []))
        return CsvTable(rel=doc.rel, columns=columns, rows=[], extra_columns=[])
    header = list(dict.fromkeys(str(k) for record in doc.data for k in record))
    records: list[tuple[int, list[str]]] = []
    nested: set[tuple[str, str]] = set()  # (location, column) of list/mapping values, reported here
    for index, record in enumerate(doc.data):
        line = doc.line_of((index,)) or 1
        cells = [_cell_text(record.get(column)) for column in header]
        for column, cell in zip(header, cells, strict=True):
            if cell is None:
                nested.add((f"line {line}", column.strip().lower()))
                findings.error(
                    "type_error",
                    doc.rel,
                    f"line {line}",
                    f"column {column}: a list or mapping is not a cell value",
                    "give one plain value per column",
                )
        records.append((line, [cell or "" for cell in cells]))
    typed = Findings()
    table = type_csv(name, CsvText(rel=doc.rel, header=header, header_line=1, records=records), typed)
    # The emptied nested cells must not be reported a second time as missing values.
    findings.items += [f for f in typed.items if not any(_about(f, at, col) for at, col in nested)]
    return table


def _about(finding: Finding, location: str, column: str) -> bool:
    return finding.location == location and finding.message.startswith(f"column {column}:")


def schema_names() -> list[str]:
    """Names of all shipped schemas (without the version suffix)."""
    return sorted(p.name.split(".")[0] for p in Path(schemas_dir()).glob("*.v1.json"))
