"""d3_engine.inputs.parse: YAML and CSV text into values with line numbers [IN-2]."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import copy_bundle, run_d3

from d3_engine.core.errors import Findings
from d3_engine.inputs import parse
from d3_engine.inputs.parse import (
    FAST_NESTING,
    MAX_YAML_DEPTH,
    YamlProblem,
    _parse,
    decode_utf8,
    parse_csv,
    parse_yaml,
)

ROOT = Path(__file__).resolve().parents[2]

GENERAL = """\
calendar:
  start_year: 2026
loan:
  amount_eur: 12000
  repayment_type: annuity
insurances:
  selected: [ins_a, ins_b]
"""


def test_yaml_keeps_the_line_of_every_key_and_list_item() -> None:
    doc = parse_yaml("operator/general.yaml", GENERAL)
    assert doc.data["loan"] == {"amount_eur": 12000, "repayment_type": "annuity"}
    assert doc.lines[("loan",)] == 3
    assert doc.lines[("loan", "amount_eur")] == 4
    assert doc.lines[("insurances", "selected", 1)] == 7
    # a key that is not there falls back to its nearest present parent
    assert doc.line_of(("loan", "term_months")) == 3
    assert doc.line_of(("nowhere",)) == 1  # the document itself


def test_duplicate_yaml_key_is_a_problem_on_its_line() -> None:
    with pytest.raises(YamlProblem) as caught:
        parse_yaml("x.yaml", "a: 1\nb:\n  c: 2\n  c: 3\n")
    assert caught.value.line == 4
    assert "duplicate key 'c'" in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("017", 17),  # YAML 1.1 would read octal 15
        ("1e5", 100000.0),  # YAML 1.1 would read the string '1e5'
        ("-2.50", -2.5),
        ("+5", 5),
        ("1.", 1.0),
        (".5", 0.5),
        ("0", 0),
    ],
)
def test_plain_decimals_are_read_in_base_ten(text: str, expected: float) -> None:
    value = parse_yaml("x.yaml", f"v: {text}\n").data["v"]
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("text", ["1_000", "1:30", "0x1f", "0o17", "12,000"])
def test_other_yaml_number_forms_stay_text_for_the_schema_to_reject(text: str) -> None:
    assert parse_yaml("x.yaml", f"v: {text}\n").data["v"] == text


def test_quoted_numbers_dates_nan_and_booleans() -> None:
    data = parse_yaml("x.yaml", 'a: "12"\nb: 2025-06-01\nc: .nan\nd: -.inf\ne: yes\nf: ~\n').data
    assert data["a"] == "12"  # quoted: text, as written
    assert data["b"] == "2025-06-01"  # dates stay text in d3
    assert math.isnan(data["c"]) and data["d"] == -math.inf  # reported later as non-finite
    assert data["e"] is True and data["f"] is None


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("meta: [oops\nb: 2\n", 2, "flow sequence"),
        ("a:\n\tb: 1\n", 2, "'\\t'"),
        ("a: 1\n---\nb: 2\n", 2, "single document"),
        ("a: &a [*a]\n", 1, "alias refers to itself"),
        ("[" * 1500 + "]" * 1500, 1, "nests too deeply"),
    ],
)
def test_unreadable_yaml_names_a_line(text: str, line: int, words: str) -> None:
    with pytest.raises(YamlProblem) as caught:
        parse_yaml("x.yaml", text)
    assert caught.value.line == line
    assert words in caught.value.message


@pytest.mark.parametrize("rel", sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("[it]*/**/*.yaml")))
def test_libyaml_and_the_pure_parser_give_the_same_values_and_lines(rel: str) -> None:
    """The fast parser is used only where it gives what the pure-Python one gives: every shipped and fixture
    YAML file, values (types included) and the line of every key."""
    assert parse.FAST_LOADER is not None, "PyYAML without libyaml: every run takes the slow parser"
    text = (ROOT / rel).read_text(encoding="utf-8")
    fast, pure = _parse(rel, text, parse.FAST_LOADER), _parse(rel, text, yaml.SafeLoader)
    assert repr(fast.data) == repr(pure.data)
    assert fast.lines == pure.lines


def test_text_that_could_nest_deeper_than_the_fast_parser_allows_takes_the_pure_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """libyaml's composer recurses in C without a limit (~30 000 levels end the process): text with more nesting
    indicators than FAST_NESTING never reaches it, however shallow (a spy sees which parser runs); a fault of
    d3's own (too deep, a duplicate key) found after libyaml is not parsed again."""
    used: list[str] = []
    real = parse._parse

    def spy(rel: str, text: str, loader_class: type) -> object:
        used.append(loader_class.__name__)
        return real(rel, text, loader_class)

    monkeypatch.setattr(parse, "_parse", spy)
    flat = "".join(f"k{i}: {i}\n" for i in range(FAST_NESTING + 1))  # shallow, but over the bound
    assert parse_yaml("x.yaml", flat).lines[(f"k{FAST_NESTING}",)] == FAST_NESTING + 1
    assert used == ["SafeLoader"]
    used.clear()
    assert parse_yaml("x.yaml", "a: [1, {b: 2}]\n").data == {"a": [1, {"b": 2}]}
    assert used == ["CSafeLoader"]
    used.clear()
    with pytest.raises(YamlProblem, match="duplicate key 'a'"):
        parse_yaml("x.yaml", "a: 1\na: 2\n")
    assert used == ["CSafeLoader"]


def test_a_fault_found_by_libyaml_is_worded_by_the_pure_parser() -> None:
    with pytest.raises(YamlProblem, match="found character '\\\\t'") as found:
        parse_yaml("x.yaml", "a:\n  b: 1\n\tc: 2\n")
    assert found.value.line == 3 and found.value.by_parser


def test_alias_bomb_is_refused_before_it_expands() -> None:
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n" + "".join(
        f"{x}: &{x} [{', '.join([f'*{p}'] * 10)}]\n" for p, x in zip("abcde", "bcdef", strict=True)
    )
    with pytest.raises(YamlProblem, match="expands to more than 200000"):
        parse_yaml("x.yaml", text)


def test_utf8_bom_is_tolerated_and_bad_bytes_name_their_line() -> None:
    findings = Findings()
    assert decode_utf8("a.csv", b"\xef\xbb\xbfid\n1\n", findings) == "id\n1\n"
    assert decode_utf8("a.csv", b"id\nok\nbad\xff\n", findings) is None
    (finding,) = findings.items
    assert (finding.code, finding.location) == ("parse_error", "line 3")
    assert "0xff" in finding.message


def test_csv_skips_blank_and_comment_lines_and_keeps_physical_lines() -> None:
    text = '# a comment\nid,notes\n\n1,"two\nlines"\n# another\n2,"a, b"\n  ,  \n3,x\n'
    findings = Findings()
    parsed = parse_csv("a.csv", text, findings)
    assert parsed is not None and not findings.items
    assert (parsed.header, parsed.header_line) == (["id", "notes"], 2)
    assert parsed.records == [(4, ["1", "two\nlines"]), (7, ["2", "a, b"]), (9, ["3", "x"])]


def test_csv_row_with_wrong_field_count_is_named_and_skipped() -> None:
    findings = Findings()
    parsed = parse_csv("a.csv", "a,b\n1,2\n3\n4,5,6\n7,8\n", findings)
    assert parsed is not None
    assert [line for line, _ in parsed.records] == [2, 5]
    assert [(f.code, f.location) for f in findings.items] == [("parse_error", "line 3"), ("parse_error", "line 4")]
    assert "1 fields but the header has 2" in findings.items[0].message


@pytest.mark.parametrize(
    ("text", "words"),
    [("", "empty"), ("# only a comment\n\n", "empty"), ('a,b\n1,"open\n2,3\n', "quoted field is not closed")],
)
def test_csv_without_header_or_with_open_quote_is_a_parse_error(text: str, words: str) -> None:
    findings = Findings()
    assert parse_csv("a.csv", text, findings) is None
    (finding,) = findings.items
    assert finding.code == "parse_error" and words in finding.message


def test_header_only_csv_has_no_records() -> None:
    findings = Findings()
    parsed = parse_csv("a.csv", "a,b\n", findings)
    assert parsed is not None and parsed.records == [] and not findings.items


# Texts libyaml reads otherwise than the pure-Python parser (a reviewer's fuzzing, twelfth session): libyaml
# accepts tabs as separators, `?` in a flow scalar, `|#`, a byte order mark inside the text, and reads a lone `!`
# as text. Each goes to the pure-Python parser, so d3 reads it as it always did.
READ_OTHERWISE_BY_LIBYAML = [
    "ar_days:\t15\n",
    "ar_days: 15\t\n",
    "ar_days: 15\t# days\n",
    "selected: [\tins_a]\n",
    "  !!float ar_days:\t15\n",
    "a: 1\n\ufeff\nb: 2\n",
    "a:\n\ufeff  b: 1\n",
    "selected: [ins?a]\n",
    "repayment_type: |#c\n  annuity\n",
    "ar_days: !\n",
]


def _outcome(read: Callable[[], Any]) -> tuple[Any, ...]:
    try:
        doc = read()
    except YamlProblem as problem:
        return ("refused", problem.line, problem.message)
    return ("read", repr(doc.data), doc.lines)


@pytest.mark.parametrize("text", READ_OTHERWISE_BY_LIBYAML)
def test_text_libyaml_reads_otherwise_is_read_as_the_pure_parser_reads_it(text: str) -> None:
    assert parse.FAST_LOADER is not None
    by_libyaml = _outcome(lambda: _parse("x.yaml", text, parse.FAST_LOADER))
    by_pure = _outcome(lambda: _parse("x.yaml", text, yaml.SafeLoader))
    assert by_libyaml != by_pure  # still a difference of the parsers: the routing below is needed
    assert _outcome(lambda: parse_yaml("x.yaml", text)) == by_pure


@pytest.mark.parametrize("depth", [MAX_YAML_DEPTH, 600, 985])
@pytest.mark.parametrize("padded", [False, True])
def test_a_deep_mapping_is_refused_by_either_parser(depth: int, padded: bool) -> None:
    """libyaml composes any depth under FAST_NESTING (the pure parser stopped near 490): the values are refused
    beyond MAX_YAML_DEPTH either way, never left to overflow a later stage (a reviewer: 600 levels gave exit 3 in
    the schema check). `padded`: a comment of 2 000 colons sends the same text to the pure parser."""
    text = "x: " + "{k: " * depth + "1" + "}" * depth + "\n" + ("# " + ":" * 2_000 + "\n" if padded else "")
    with pytest.raises(YamlProblem, match="nests too deeply"):
        parse_yaml("x.yaml", text)
    within = MAX_YAML_DEPTH - 1  # the path x, k, k, …: MAX_YAML_DEPTH keys
    assert parse_yaml("x.yaml", "x: " + "{k: " * within + "1" + "}" * within + "\n").data["x"]


@pytest.mark.parametrize(
    "text",
    ["start_year: 2026-02-30", "!!float ar_days: 15", "!!int x: 15", "ar_days: !!bool", "ar_days: !!timestamp"],
)
def test_a_tag_yaml_cannot_apply_is_a_problem_on_its_line(text: str) -> None:
    """Five texts that ended d3 with exit 3 (ValueError, KeyError, AttributeError) found by a reviewer."""
    with pytest.raises(YamlProblem, match="cannot be read as") as found:
        parse_yaml("x.yaml", "a: 1\n" + text + "\n")
    assert found.value.line == 2


def test_a_deep_value_is_a_parse_error_of_validate(tmp_path: Path) -> None:
    inputs = copy_bundle("minimal_001", tmp_path / "inputs")
    inputs.append("operator/general.yaml", "x: " + "{k: " * 600 + "1" + "}" * 600)
    outcome = run_d3("validate", "--inputs", inputs.root)
    assert outcome.exit_code == 2, outcome.stderr
    assert "[parse_error]" in outcome.stderr and "nests too deeply" in outcome.stderr
    assert "unexpected error" not in outcome.stderr
