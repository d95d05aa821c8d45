"""Rendering SQL: Jinja2 with StrictUndefined, the macros, `ref()` and `var()` (ARCHITECTURE §3).

`model_variables` is the one place the `var()` dictionary is built; `VARIABLE_NAMES` lists what it
holds, so a `var('x')` of any other name is refused before a model runs (see `graph.check_references`).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from d3_engine.core.errors import RuntimeFailure
from d3_engine.core.files import sql_dir

if TYPE_CHECKING:
    from d3_engine.plan.validate import Validated

REF = re.compile(r"""ref\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")
VAR = re.compile(r"""var\(\s*['"]([A-Za-z0-9_]+)['"]\s*\)""")

VARIABLE_NAMES: dict[str, str] = {
    "horizon_months": "H, the plan horizon in months [GEN-2]",
    "replicates": "replicates per grid point [GEN-2]",
    "mc": "Monte Carlo paths per parameter set [GEN-2]",
    "fx": "USD per EUR [PUB-1]",
    "pipelines": "the pipelines of the run (public, private)",
    "percentiles": "the configured percentiles p of the p<q> series [GEN-5]",
}


def model_variables(validated: Validated, replicates: int | None = None, mc: int | None = None) -> dict[str, Any]:
    """The `var()` dictionary of a run (the only place it is built); keys in `VARIABLE_NAMES` order.

    Args:
        replicates, mc: override the plan's (the pricing preflight builds one path of one parameter set).
    """
    sim = validated.simulation
    return {
        "horizon_months": int(sim["targets"]["horizon_months"]),
        "replicates": validated.plan.replicates if replicates is None else replicates,
        "mc": validated.plan.mc if mc is None else mc,
        "fx": validated.fx,
        "pipelines": validated.pipelines,
        "percentiles": list(sim["stochastic"]["percentiles"]),
    }


def refs_of(text: str) -> list[str]:
    """Every name passed to `ref()` in a SQL text (sorted, distinct)."""
    return sorted(set(REF.findall(text)))


def vars_of(text: str) -> list[str]:
    """Every name passed to `var()` in a SQL text (sorted, distinct)."""
    return sorted(set(VAR.findall(text)))


@cache
def _environment() -> jinja2.Environment:
    """One Jinja environment for all SQL (StrictUndefined: a missing name is an error, never empty)."""
    return jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


@lru_cache(maxsize=1024)
def _template(text: str) -> jinja2.Template:
    """Compiled template of a SQL text, once per distinct text per process (the render stays a pure function
    of text + variables). The macros are not part of the text: they are compiled once (`_macro_module`)."""
    return _environment().from_string(text)


@cache
def _macros(root: Path) -> str:
    """The text of every macro file (read once per process)."""
    return "".join(p.read_text(encoding="utf-8") + "\n" for p in sorted((root / "macros").glob("*.sql")))


@cache
def _macro_module(root: Path) -> dict[str, Any]:
    """The macros (`dec`, `pctl`, …) compiled once per process, by name, to hand every render as globals.

    The same output as rendering the macro text in front of each SQL text (what this replaced): the macro
    files render to newlines only, which `render_text` strips, and a macro sees only its own module.
    """
    module = _environment().from_string(_macros(root)).make_module()
    return {name: value for name, value in vars(module).items() if isinstance(value, jinja2.runtime.Macro)}


def render_text(text: str, variables: dict[str, Any], owner: str = "sql", root: Path | None = None) -> str:
    """Render SQL text with the macros, ref() and var() (StrictUndefined)."""

    def var(name: str) -> Any:
        if name not in variables:
            raise RuntimeFailure(f"{owner}: var('{name}') is not defined")
        return variables[name]

    macros = _macro_module(root or sql_dir())
    return _template(text).render(macros, ref=lambda name: name, var=var).lstrip("\n")
