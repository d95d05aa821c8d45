"""The last input edge cases of issue 14 [IN-18, V12-10, CLI-2]: each is exit 2 naming file and line,
one line per message on stderr, no traceback, and the previous outputs stay byte-identical [OUT-2]."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

SIM, GEN = "simulation.yaml", "operator/general.yaml"
MOD, VGEN = "operator/curated_public_tap_models.csv", "variables/general.csv"


def _nul_in_yaml(b: Any) -> None:
    b.write(GEN, b.read(GEN).replace("\n", "\nnote: a\x00b\n", 1).encode("utf-8"))


def _control_char_in_yaml(b: Any) -> None:
    b.write(GEN, b.read(GEN) + "note: bell \x07 here\n")


def _long_int_in_yaml(b: Any) -> None:
    b.replace(SIM, "max_paths: 1000", "max_paths: " + "9" * 4301)


def _nul_in_csv_text(b: Any) -> None:
    b.replace(MOD, "org/small-7b", "org/sm\x00all-7b")


def _long_int_in_csv(b: Any) -> None:
    b.replace(MOD, "Small,7B,16,", "Small,7B," + "1" * 5000 + ",")


def _newline_value(b: Any) -> None:
    b.replace(MOD, "Small,7B,16,", 'Small,7B,"sixteen\nGB",')


def _folder_named_like_a_file(b: Any) -> None:
    (b.root / VGEN).mkdir(parents=True)
    (b.root / VGEN / "general.csv").write_text("variable_id\n", encoding="utf-8")


CASES = [
    ("nul_in_yaml", _nul_in_yaml, "parse_error", GEN, "line 2"),
    ("control_char_in_yaml", _control_char_in_yaml, "parse_error", GEN, "line "),
    ("int_of_4301_digits_in_yaml", _long_int_in_yaml, "parse_error", SIM, "line 8"),
    ("nul_in_csv_text_column", _nul_in_csv_text, "parse_error", MOD, "line 2"),
    ("int_of_5000_digits_in_csv", _long_int_in_csv, "type_error", MOD, "line 2"),
    ("newline_inside_a_value", _newline_value, "type_error", MOD, "line 2"),
    ("required_name_is_a_folder", _folder_named_like_a_file, "missing_file", VGEN, ""),
]


def _one_line_per_message(stderr: str) -> None:
    """Every stderr line is a heading, a finding (`  ERROR [...]`/`  WARNING [...]`) or a `d3 …:` line."""
    for line in stderr.splitlines():
        assert line.startswith(("d3", "  ERROR [", "  WARNING [")), f"a message spans lines: {line!r}"


@pytest.mark.parametrize(("case", "mutate", "code", "file", "where"), CASES, ids=[c[0] for c in CASES])
def test_an_input_edge_case_is_exit_2_with_file_and_line(
    case: str,
    mutate: Callable[[Any], None],
    code: str,
    file: str,
    where: str,
    minimal: Any,
    previous_out: Path,
    d3: Callable[..., Any],
    tree_digest: Callable[[Path], Any],
) -> None:
    """[IN-18], [V12-10]: exit 2, the finding names its file (and line), one line per message."""
    mutate(minimal)
    before = tree_digest(previous_out)
    outcome = d3("run", "--inputs", minimal.root, "--out", previous_out)
    assert outcome.exit_code == 2, outcome.stdout[-2000:] + outcome.stderr
    outcome.assert_contract()
    found = [e for e in outcome.of("validate_error") if e["code"] == code and e["file"] == file]
    assert found, [(e["code"], e["file"], e["message"]) for e in outcome.of("validate_error")]
    assert found[0]["location"].startswith(where) and found[0]["hint"], found[0]
    _one_line_per_message(outcome.stderr)
    assert tree_digest(previous_out) == before


@pytest.mark.parametrize("inside", [".", "outputs", "deep/er"])
def test_out_equal_to_or_inside_inputs_is_unsafe_path(
    inside: str, minimal: Any, d3: Callable[..., Any], tree_digest: Callable[[Path], Any]
) -> None:
    """[V12-10]: `--out` equal to or inside `--inputs` is ERROR `unsafe_path`, exit 2; nothing is written."""
    before = tree_digest(minimal.root)
    outcome = d3("run", "--inputs", minimal.root, "--out", minimal.root / inside)
    assert outcome.exit_code == 2, outcome.stderr
    outcome.assert_contract()
    errors = outcome.of("validate_error")
    assert [e["code"] for e in errors] == ["unsafe_path"] and errors[0]["location"] == "--out", errors
    assert "To fix this" in outcome.stderr
    assert tree_digest(minimal.root) == before


def test_out_beside_inputs_is_fine(minimal: Any, tmp_path: Path) -> None:
    """An --out next to the inputs (or holding them) is not unsafe: only out ⊆ inputs is."""
    from d3_engine.core.events import EventLog
    from d3_engine.pipeline.reuse import refuse_unsafe_out

    refuse_unsafe_out(minimal.root, tmp_path / "out", EventLog("ERROR"))
    refuse_unsafe_out(minimal.root, minimal.root.parent, EventLog("ERROR"))
