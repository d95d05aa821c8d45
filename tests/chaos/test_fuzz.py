"""Fuzzing the inputs through the in-process validation API [IN-2], [IN-3], [IN-18], [V12-10], issue 14.

Hypothesis breaks one thing of minimal_001 per example: a YAML leaf set to an arbitrary value (text
with control characters, huge integers, NaN, lists, mappings…), a YAML key removed or added, a CSV
cell set to arbitrary text (quoted as RFC 4180 says), or raw bytes (NUL, invalid UTF-8, controls)
spliced into a file. Validation must either accept the folder or raise ValidationFailed (exit 2):
never another exception, and every message is one line naming its file. Derandomised, so CI sees
the same few hundred cases every time.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from d3_engine.core.errors import ValidationFailed
from d3_engine.pipeline.validation import validate_inputs

MINIMAL = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "minimal_001"
YAML_FILES = sorted(p.relative_to(MINIMAL).as_posix() for p in MINIMAL.rglob("*.yaml"))
CSV_FILES = sorted(p.relative_to(MINIMAL).as_posix() for p in MINIMAL.rglob("*.csv"))
COUNT = {"examples": 0, "invalid": 0}


class Digits(int):
    """An integer of n nines, written by its digits (Python will not turn > 4300 digits into text)."""

    def text(self) -> str:
        return "9" * int(self)


yaml.SafeDumper.add_representer(Digits, lambda dumper, v: dumper.represent_scalar("tag:yaml.org,2002:int", v.text()))
huge = st.sampled_from([19, 20, 308, 309, 4300, 4301]).map(Digits)

nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"), st.sampled_from(["\x00", "\n", "\r", "\t", "\x1b", '"', ",", "#"])
    ),
    max_size=12,
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(min_value=-(10**40), max_value=10**40),
    huge,
    st.floats(allow_nan=True, allow_infinity=True),
    nasty_text,
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty_text, inner, max_size=3), max_leaves=6
)


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, index))
    if path:
        yield path


def _yaml_edit(root: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(YAML_FILES))
    doc = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
    path = data.draw(st.sampled_from(sorted(_leaves(doc), key=repr)))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    action = data.draw(st.sampled_from(["set", "delete", "add"]))
    if action == "set":
        parent[path[-1]] = data.draw(values)
    elif action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(nasty_text)] = data.draw(values)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False) if doc is not None else ""
    (root / rel).write_bytes(text.encode("utf-8", "surrogatepass"))


def _csv_edit(root: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(CSV_FILES))
    rows = list(csv.reader(io.StringIO((root / rel).read_text(encoding="utf-8"), newline="")))
    row = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
    column = data.draw(st.integers(min_value=0, max_value=len(rows[row]) - 1))
    rows[row][column] = data.draw(nasty_text | huge.map(Digits.text))
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    (root / rel).write_bytes(buffer.getvalue().encode("utf-8", "surrogatepass"))


def _byte_edit(root: Path, data: st.DataObject) -> None:
    rel = data.draw(st.sampled_from(YAML_FILES + CSV_FILES))
    raw = (root / rel).read_bytes()
    at = data.draw(st.integers(min_value=0, max_value=len(raw)))
    junk = data.draw(st.binary(min_size=1, max_size=4) | st.sampled_from([b"\x00", b"\xff", b"\x07", b"\r", b"\t:"]))
    (root / rel).write_bytes(raw[:at] + junk + raw[at:])


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), how=st.sampled_from([_yaml_edit, _csv_edit, _byte_edit]))
def test_broken_inputs_are_exit_2_with_one_line_messages(data: st.DataObject, how: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "inputs"
        shutil.copytree(MINIMAL, root)
        how(root, data)
        COUNT["examples"] += 1
        try:
            validated = validate_inputs(root)
        except ValidationFailed as failed:
            COUNT["invalid"] += 1
            findings = failed.findings
            assert any(f.severity == "ERROR" for f in findings)
        else:
            findings = validated.warnings
        for finding in findings:
            line = finding.render()
            assert "\n" not in line and "\r" not in line, line
            assert finding.file and finding.code, finding
