"""Rendering SQL compiles each template once and renders what macros-in-front-of-the-text rendered (issue 13)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.files import sql_dir
from d3_engine.models import render as render_module
from d3_engine.models.render import render_text

VARIABLES = {
    "horizon_months": 36,
    "replicates": 4,
    "mc": 3,
    "fx": 1.1,
    "pipelines": ["public", "private"],
    "percentiles": [10, 50, 90],
}


def _shipped_sql() -> list[Path]:
    return sorted(p for p in sql_dir().rglob("*.sql") if p.parent.name != "macros")


def _concatenated_render(text: str) -> str:
    """The former render: the macro files' text compiled in front of every SQL text."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    macros = "".join(p.read_text(encoding="utf-8") + "\n" for p in sorted((sql_dir() / "macros").glob("*.sql")))
    variables = VARIABLES

    def var(name: str) -> object:
        return variables[name]

    return env.from_string(macros + text).render(ref=lambda name: name, var=var).lstrip("\n")


@pytest.mark.parametrize("path", _shipped_sql(), ids=lambda p: p.name)
def test_every_shipped_sql_renders_as_with_the_macros_in_front(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert render_text(text, VARIABLES, path.stem) == _concatenated_render(text)


def test_a_macro_call_renders_like_the_concatenated_form() -> None:
    text = "\n\n  SELECT {{ dec('x') }}, {{ round_div('a', 'b', 2) }} FROM {{ ref('t') }}\n"
    assert render_text(text, VARIABLES) == _concatenated_render(text)


def test_each_template_text_is_compiled_once() -> None:
    render_module._template.cache_clear()
    text = "SELECT {{ var('horizon_months') }} AS h, {{ dec('y') }} AS d -- compiled once"
    first = render_text(text, VARIABLES)
    second = render_text(text, {**VARIABLES, "horizon_months": 12})
    info = render_module._template.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    assert first.startswith("SELECT 36 AS h") and second.startswith("SELECT 12 AS h")


def test_an_undefined_var_still_fails_with_a_cached_template() -> None:
    text = "SELECT {{ var('nope') }}"
    for _ in range(2):
        with pytest.raises(RuntimeFailure, match=r"var\('nope'\) is not defined"):
            render_text(text, VARIABLES, "model m")
