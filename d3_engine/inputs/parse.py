"""Parsing of YAML and CSV text into Python values with line numbers (DOMAIN IN-2).

YAML is composed into nodes and built by hand so that every key keeps its line and a
duplicate key is an error. CSV keeps the physical line of every record so that findings can
point at `file:line`. Nothing here knows about schemas; `schemas.py` types and checks values.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from d3_engine.core.errors import Findings

KeyPath = tuple[str | int, ...]

# IN-2: a number is a plain decimal with an optional exponent. YAML 1.1 also reads 1_000, 1:30,
# 0x1f and 017 (octal!) as integers; d3 keeps such scalars as text so the schema names them.
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
NON_FINITE_TEXT = re.compile(r"^[+-]?\.(inf|nan)$", re.IGNORECASE)
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
STR_TAG = "tag:yaml.org,2002:str"


class YamlProblem(Exception):
    """A YAML text that cannot be read; carries the 1-based line. `by_parser`: the YAML parser's own words (a
    syntax fault), not d3's (a duplicate key, a too large integer, too deep or too many values)."""

    def __init__(self, line: int, message: str, by_parser: bool = False):
        super().__init__(message)
        self.line = line
        self.message = message
        self.by_parser = by_parser


@dataclass
class YamlDoc:
    """A parsed YAML file: its value and the line of every key path."""

    rel: str
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    set_at: dict[KeyPath, int] = field(default_factory=dict)  # key path → `--set` index that wrote it [IN-20]

    def where(self, path: KeyPath) -> str:
        """Location of a key path for a finding: `--set[i]` when an override wrote it (or a parent of
        it), else `line N` of the nearest key present in the file, else ''."""
        for end in range(len(path), 0, -1):
            index = self.set_at.get(tuple(path[:end]))
            if index is not None:
                return f"--set[{index}]"
        line = self.line_of(path)
        return f"line {line}" if line else ""

    def line_of(self, path: KeyPath) -> int | None:
        """Line of the longest prefix of `path` that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


@dataclass
class CsvText:
    """A parsed CSV file before typing: header cells and records with their lines."""

    rel: str
    header: list[str]
    header_line: int
    records: list[tuple[int, list[str]]]


# libyaml's parser (PyYAML's wheels carry it) reads a text in a fraction of the pure-Python parser's time. The
# pure-Python parser stays the reference; libyaml reads only text on which the two agree:
# - no more than FAST_NESTING nesting indicators: libyaml's composer recurses in C without a limit (a text nested
#   ~30 000 deep ends the process with a segmentation fault), and every collection opens with one of `[ { - ? :`,
#   so their count bounds the depth;
# - none of PURE_ONLY: libyaml accepts tabs as separators (`a:<tab>1`), a `?` inside a flow scalar, a comment
#   glued to a block indicator (`|#`), a byte order mark inside the text, and reads a lone `!` tag differently,
#   where the pure-Python parser refuses or reads otherwise (a reviewer's fuzzing of 73 000 texts found no other
#   difference). No shipped or fixture file holds any of them.
# A syntax fault libyaml finds is parsed again by the pure-Python parser, whose messages name the character.
FAST_LOADER: type[Any] | None = getattr(yaml, "CSafeLoader", None)
FAST_NESTING = 2_000
NESTING_INDICATORS = "[{-?:"
PURE_ONLY = ("\t", "\ufeff", "!", "?", "|#", ">#")

MAX_INT = 2**63 - 1  # d3 integers are 64-bit in DuckDB and NumPy; a longer one cannot be read
MAX_YAML_NODES = 200_000  # far above any d3 input; stops alias bombs that expand exponentially
# Far above any d3 input (the shipped files nest 4 deep), far below Python's recursion limit: the later stages walk
# the values recursively, and libyaml composes any depth below FAST_NESTING (the pure parser stopped at ~490).
MAX_YAML_DEPTH = 100


def _build(loader: Any, node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> Any:
    if len(lines) > MAX_YAML_NODES:
        raise YamlProblem(node.start_mark.line + 1, f"the document expands to more than {MAX_YAML_NODES} values")
    if len(path) > MAX_YAML_DEPTH:
        raise YamlProblem(
            node.start_mark.line + 1,
            f"the document nests too deeply (more than {MAX_YAML_DEPTH} levels) or an alias refers to itself",
        )
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _construct(loader, key_node)
            if isinstance(key, list | dict):
                raise YamlProblem(key_node.start_mark.line + 1, "a mapping key must be a plain value")
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise YamlProblem(key_node.start_mark.line + 1, f"duplicate key '{key}'")
            lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = _build(loader, value_node, (*path, key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), lines) for i, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        number = _number(node)
        if number is not None:
            return number
    value = _construct(loader, node)
    # Dates are text in d3 (source_date and the like); YAML would make them date objects.
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _construct(loader: Any, node: yaml.Node) -> Any:
    """YAML's value of a node; a tag it cannot apply (`!!float abc`, `!!bool`, a date that does not exist such as
    2026-02-30) is a problem on the node's line, not a crash."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, KeyError, AttributeError, TypeError, OverflowError) as exc:
        value = node.value if isinstance(node, yaml.ScalarNode) else type(node).__name__
        tag = node.tag.rsplit(":", 1)[-1]
        raise YamlProblem(
            node.start_mark.line + 1, f"{value!r} cannot be read as {tag} ({type(exc).__name__}: {exc})"
        ) from None


def _number(node: yaml.ScalarNode) -> int | float | str | None:
    """The value of a numeric-looking scalar by IN-2, or None to let YAML construct it.

    Plain decimals are read in base 10 (`017` is 17, `1e5` is 100000.0); other YAML 1.1 number
    forms stay text so that the schema reports them as a type error.
    """
    text = node.value.strip()
    plain = not node.style  # a plain scalar's style: None from the pure-Python parser, '' from libyaml
    if node.tag in (INT_TAG, FLOAT_TAG) or (plain and node.tag == STR_TAG and NUMBER_TEXT.match(text)):
        if NON_FINITE_TEXT.match(text):
            return None  # .nan / .inf: kept as floats and reported as non-finite numbers
        if not NUMBER_TEXT.match(text):
            return text
        if re.fullmatch(r"[+-]?\d+", text):
            digits = text.lstrip("+-").lstrip("0")
            if len(digits) > len(str(MAX_INT)) or int(digits or "0") > MAX_INT:  # int() of > 4300 digits raises
                raise YamlProblem(
                    node.start_mark.line + 1,
                    f"the integer {digits[:12]}… ({len(digits)} digits) is too large to read (at most {MAX_INT})",
                )
            return int(text)
        return float(text)
    return None


def parse_yaml(rel: str, text: str) -> YamlDoc:
    """Parse one YAML document safely, refusing duplicate keys.

    Raises:
        YamlProblem: the text is not valid YAML or repeats a key.
    """
    if FAST_LOADER is not None and _libyaml_agrees(text):
        try:
            return _parse(rel, text, FAST_LOADER)
        except YamlProblem as problem:
            if not problem.by_parser:
                raise  # d3's own words (duplicate key, too deep, …), found in the values both parsers build
            # a syntax fault: the pure-Python parser finds the same one and words it better (`found character '\t'`)
    return _parse(rel, text, yaml.SafeLoader)


def _libyaml_agrees(text: str) -> bool:
    """Whether libyaml reads `text` as the pure-Python parser does (see PURE_ONLY and FAST_NESTING)."""
    if any(mark in text for mark in PURE_ONLY):
        return False
    return sum(text.count(c) for c in NESTING_INDICATORS) <= FAST_NESTING


def _parse(rel: str, text: str, loader_class: type[Any]) -> YamlDoc:
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:  # a control character the YAML reader refuses
        raise YamlProblem(_line_at(text, exc.position), _reader_problem(exc), by_parser=True) from None
    try:
        node = loader.get_single_node()
        lines: dict[KeyPath, int] = {}
        data = None if node is None else _build(loader, node, (), lines)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        text = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        raise YamlProblem(line, text.strip(), by_parser=True) from None
    except yaml.reader.ReaderError as exc:
        raise YamlProblem(_line_at(text, exc.position), _reader_problem(exc), by_parser=True) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, " ".join(str(exc).split()), by_parser=True) from None
    except RecursionError:
        raise YamlProblem(1, "the document nests too deeply or an alias refers to itself") from None
    finally:
        loader.dispose()
    return YamlDoc(rel=rel, data=data, lines=lines)


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _reader_problem(exc: yaml.reader.ReaderError) -> str:
    character = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return f"the control character U+{ord(character):04X} is not allowed in YAML"


def decode_utf8(rel: str, raw: bytes, findings: Findings) -> str | None:
    """Decode UTF-8 (a BOM is tolerated); report the line of the first bad byte."""
    nul = raw.find(b"\x00")
    if nul >= 0:  # csv and YAML readers would take it for text, or fail without a line
        line = raw.count(b"\n", 0, nul) + 1
        findings.error(
            "parse_error",
            rel,
            f"line {line}",
            f"the file holds a NUL byte (offset {nul}); d3 input files are text",
            "remove the NUL byte (the file may have been saved as UTF-16 or be binary); save it as UTF-8 text",
        )
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        findings.error(
            "parse_error",
            rel,
            f"line {line}",
            f"the file is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8",
        )
        return None


def _is_skipped(record: list[str]) -> bool:
    if not record or all(not cell.strip() for cell in record):
        return True
    return record[0].startswith("#")


def parse_csv(rel: str, text: str, findings: Findings) -> CsvText | None:
    """Split CSV text into a header and records (RFC 4180), skipping blank and # lines.

    A record whose field count differs from the header's is a `parse_error` naming its line.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    records: list[tuple[int, list[str]]] = []
    start_line = 1
    try:
        for record in reader:
            line = start_line
            start_line = reader.line_num + 1
            if _is_skipped(record):
                continue
            if header is None:
                header, header_line = record, line
                continue
            if len(record) != len(header):
                findings.error(
                    "parse_error",
                    rel,
                    f"line {line}",
                    f"the row has {len(record)} fields but the header has {len(header)}",
                    "give every row exactly one value per header column (quote values that contain commas)",
                )
                continue
            records.append((line, record))
    except csv.Error as exc:
        findings.error(
            "parse_error",
            rel,
            f"line {start_line}",
            f"CSV syntax error in the row starting here: {exc} (a quoted field is not closed, "
            "or a quote inside a field is not doubled)",
            'close every quoted field and write a quote inside a field as "" (RFC 4180)',
        )
        return None
    if header is None:
        findings.error(
            "parse_error",
            rel,
            "line 1",
            "the file is empty (no header row)",
            "add a header row and at least the required columns",
        )
        return None
    return CsvText(rel=rel, header=header, header_line=header_line, records=records)
