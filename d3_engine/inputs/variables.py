"""Variables CSVs: exact-decimal lattices and every rule of IN-13 … IN-16.

A valid row becomes a `Variable`: the key path it overlays, its treatment, its lattice (exact
decimals parsed from the CSV text, so grid values land exactly on min and max) and the draw spec
the RNG needs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from d3_engine.core.errors import Findings
from d3_engine.core.formats import float_to_decimal
from d3_engine.core.rng import Lattice, VariableSpec, lattice_steps
from d3_engine.inputs.load import Bundle
from d3_engine.inputs.variable_defaults import (
    OPERATOR_FILES,
    RowPlace,
    operator_decimal,
    refuse_set,
    same_value,
    warn_shadowing,
    yaml_place,
)
from d3_engine.inputs.variable_keys import (
    ALLOWED_ROOTS,
    DIST_PARAMS,
    INTEGER_UNITS,
    SCOPES,
    UNIT_RANGES,
    Variable,
    key_schema,
    leaf_value,
    unknown_path_hint,
)


def _bound(value: int | float) -> Decimal:
    """A schema bound (a JSON number) as an exact decimal ([GEN-4])."""
    return float_to_decimal(value) if isinstance(value, float) else Decimal(value)


def _dec(text: str | None) -> Decimal | None:
    if text is None or not text.strip():
        return None
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _parse_params(text: str) -> dict[str, Decimal] | None:
    params: dict[str, Decimal] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        if "=" not in part:
            return None
        key, _, raw = part.partition("=")
        value = _dec(raw)
        if value is None:
            return None
        params[key.strip()] = value
    return params


class _RowCheck:
    """Validation of one variables row; collects findings, returns a Variable when clean."""

    def __init__(self, bundle: Bundle, scope: str, rel: str, row: Any, findings: Findings):
        self.bundle, self.scope, self.rel, self.row, self.findings = bundle, scope, rel, row, findings
        self.values: dict[str, Any] = row.values
        self.text: dict[str, str] = row.text
        self.vid = str(self.values.get("variable_id") or "?")
        self.ok = True
        self.default_from = "csv"

    def fail(self, code: str, column: str, message: str, hint: str) -> None:
        self.ok = False
        self.findings.error(code, self.rel, f"line {self.row.line}", f"{column}: variable {self.vid}: {message}", hint)

    def run(self) -> Variable | None:
        v = self.values
        if v.get("scope") not in (None, self.scope):
            self.fail(
                "variable_schema",
                "scope",
                f"scope '{v.get('scope')}' differs from the file's scope",
                f"write scope {self.scope} or move the row to variables/{v.get('scope')}.csv",
            )
        path = str(v.get("path") or "")
        key = self._check_path(path)
        kind, unit = v.get("type"), v.get("unit")
        if key is None or kind not in ("numeric", "discrete") or unit is None:
            return None
        if (unit == "enum") != (kind == "discrete"):
            self.fail(
                "variable_schema",
                "unit",
                f"unit {unit} with type {kind}: enum is for discrete variables only",
                "use unit enum exactly when type is discrete",
            )
            return None
        if unit != key.get("x-unit"):  # [IN-13]: a discrete variable too must match (enum keys only)
            self.fail(
                "unit_range",
                "unit",
                f"unit {unit} differs from the unit of {path} ({key.get('x-unit')})",
                f"declare unit {key.get('x-unit')}",
            )
            return None
        return self._numeric(path, key, str(unit)) if kind == "numeric" else self._discrete(path, key)

    def _place(self, path: str) -> RowPlace:
        treatment = str(self.values.get("treatment"))
        return RowPlace(self.rel, self.row.line, self.scope, self.vid, path, treatment)

    def _resolve_default(self, path: str, csv_default: Decimal | str | None) -> Decimal | str | None:
        """The row's default by [IN-19], [V12-4] and [IN-20]; None (with a finding) when there is none.

        An empty default takes the operator value (after `--set`); a `--set` on the path replaces a
        fixed row's default; a set default that differs from the operator value warns.
        """
        place = self._place(path)
        _, operator_value = leaf_value(self.bundle.data(self.scope), path)
        set_index = self.bundle.set_paths.get((self.scope, path))
        if set_index is not None:
            if place.treatment == "low_to_high" or (place.treatment == "random" and csv_default is not None):
                self.ok = False
                refuse_set(self.findings, place, set_index)
                return None
            self.default_from = f"--set[{set_index}]"
            return self._operator_default(operator_value, csv_default)
        if csv_default is None:
            if place.treatment == "low_to_high":
                self.fail("missing_column", "default", "a grid axis needs a default", "fill in the default")
                return None
            self.default_from = "operator"
            return self._operator_default(operator_value, csv_default)
        if not same_value(csv_default, operator_value):
            where = yaml_place(self.bundle.docs[self.scope].lines, self.scope, path)
            warn_shadowing(self.findings, place, csv_default, operator_value, where)
        return csv_default

    def _operator_default(self, operator_value: Any, like: Decimal | str | None) -> Decimal | str | None:
        """The operator value in the variable's kind; None when the schema already refused it."""
        if self.values.get("type") == "discrete":
            return operator_value if isinstance(operator_value, str) else None
        number = operator_decimal(operator_value)
        if number is None:
            self.ok = False  # the operator file's own type_error says why
        return number

    def _fail_default_lattice(self, why: str) -> None:
        """ERROR `lattice` for a default off the lattice, at the place the default came from."""
        path = str(self.values.get("path") or "")
        default_text = str(self.text.get("default") or "").strip()
        if self.default_from == "csv":
            self.fail("lattice", "default", f"default {default_text} {why}", "choose a default on the lattice")
            return
        self.ok = False
        _, value = leaf_value(self.bundle.data(self.scope), path)
        if self.default_from == "operator":
            where = yaml_place(self.bundle.docs[self.scope].lines, self.scope, path)
            file, location = self.rel, f"line {self.row.line}"
            message = f"default: variable {self.vid} has an empty default, and {path} = {value} in {where} {why}"
        else:
            file, location = OPERATOR_FILES[self.scope], self.default_from
            message = f"{path} = {value} {why} of variable {self.vid} ({self.rel}:{self.row.line})"
        self.findings.error("lattice", file, location, message, "choose a value on the variable's lattice")

    def _check_path(self, path: str) -> dict[str, Any] | None:
        roots = ALLOWED_ROOTS[self.scope]
        hint = f"target a scalar key under one of: {', '.join(roots)}"
        if ".." in path or not path.startswith(roots):
            self.fail(
                "variable_path",
                "path",
                f"path '{path}' is outside the allowed roots of {self.scope}: {', '.join(roots)}",
                hint,
            )
            return None
        exists, value = leaf_value(self.bundle.data(self.scope), path)
        if not exists and self.bundle.unreadable(self.scope):
            self.ok = False  # the operator file is missing or unreadable: its own ERROR is the one to fix
            return None
        if (
            not exists
            or isinstance(value, bool | dict | list)
            or (value is not None and not isinstance(value, int | float | str))
        ):
            near = unknown_path_hint(self.scope, path, self.bundle.data(self.scope))
            self.fail(
                "variable_path", "path", f"path '{path}' is not an existing scalar key of {self.scope}.yaml{near}", hint
            )
            return None
        node = key_schema(self.scope, path)
        if node is None:
            self.fail("variable_path", "path", f"path '{path}' is not a known key", hint)
        return node

    def _numeric(self, path: str, key: dict[str, Any], unit: str) -> Variable | None:
        lo, hi, step = (_dec(self.text.get(c)) for c in ("min", "max", "step"))
        if lo is None or hi is None or step is None:
            self.fail(
                "lattice",
                "min/max/step",
                "numeric variables need finite min, max and step",
                "fill all three with plain decimal numbers",
            )
            return None
        csv_default = _dec(self.text.get("default"))
        if csv_default is None and (self.text.get("default") or "").strip():
            self.fail("lattice", "default", "the default is not a plain decimal number", "write e.g. 9.95")
            return None
        resolved = self._resolve_default(path, csv_default)
        if not isinstance(resolved, Decimal):
            return None
        default = resolved
        if not self._lattice_ok(lo, hi, step, default, unit):
            return None
        self._check_range(unit, key, lo, hi, default)
        points = Lattice(lo, hi, step)
        self._check_key_rule(path, points)
        spec = self._spec(lo, hi, step, default)
        if not self.ok or spec is None:
            return None
        treatment = str(self.values.get("treatment"))
        return Variable(
            self.scope, self.vid, path, treatment, unit, "numeric", self.rel, points, default, spec, self.default_from
        )

    def _lattice_ok(self, lo: Decimal, hi: Decimal, step: Decimal, default: Decimal, unit: str) -> bool:
        """[IN-13]/[IN-14] lattice rules; reports the first one broken."""
        if step <= 0 or lo > hi:
            self.fail(
                "lattice",
                "min/max/step",
                f"need step > 0 and min ≤ max (min {lo}, max {hi}, step {step})",
                "correct the lattice",
            )
        elif not _on_lattice(hi, lo, step):
            self.fail(
                "lattice",
                "max",
                f"(max − min)/step = {(hi - lo) / step} is not an integer",
                "choose max = min + k·step",
            )
        elif not lo <= default <= hi or not _on_lattice(default, lo, step):
            self._fail_default_lattice(f"is not on the lattice {lo}..{hi} step {step}")
        elif unit in INTEGER_UNITS and (lo != lo.to_integral_value() or step != step.to_integral_value()):
            self.fail("lattice", "min/step", f"unit {unit} needs an integer lattice", "use whole numbers")
        else:
            return True
        return False

    def _check_range(self, unit: str, key: dict[str, Any], lo: Decimal, hi: Decimal, default: Decimal) -> None:
        low, high = UNIT_RANGES[unit]
        for label, value in (("min", lo), ("max", hi), ("default", default)):
            if value < low or (high is not None and value > high):
                self.fail(
                    "unit_range", label, f"{value} is outside the {unit} range", f"use a value in [{low}, {high}]"
                )
            k_min = key.get("minimum", key.get("exclusiveMinimum"))
            k_max = key.get("maximum", key.get("exclusiveMaximum"))
            if (
                k_min is not None and (value < _bound(k_min) or ("exclusiveMinimum" in key and value == _bound(k_min)))
            ) or (
                k_max is not None and (value > _bound(k_max) or ("exclusiveMaximum" in key and value == _bound(k_max)))
            ):
                self.fail(
                    "unit_range",
                    label,
                    f"{value} is outside the key's range",
                    "use values inside the range `d3 schema` gives for the key",
                )
        if unit == "percent" and 0 < hi <= 1:
            self.fail(
                "unit_range",
                "max",
                f"a percent variable with max {hi} looks like a fraction",
                "write percent values in 0..100 (55, not 0.55)",
            )

    def _check_key_rule(self, path: str, points: Sequence[Decimal | str]) -> None:
        """IN-16 rules no clamp repairs, on every lattice value of a low_to_high or random variable.

        The search stops at the first bad value: a lattice may be huge, but 86400 has only 96
        divisors and {1, 3} two members, so a bad value turns up within the first hundred.
        """
        if self.values.get("treatment") == "fixed":
            return  # the default is checked with the default parameter set
        if path == "autoscaling.evaluation_interval_s":
            bad = next((p for p in points if isinstance(p, Decimal) and (p == 0 or Decimal(86400) % p != 0)), None)
            if bad is not None:
                self.fail(
                    "lattice",
                    "min/max/step",
                    f"lattice value {bad} does not divide 86400",
                    "use a lattice whose every value divides 86400",
                )
        if path == "tax.vat_period_months":
            vat_bad = next((p for p in points if p not in (Decimal(1), Decimal(3))), None)
            if vat_bad is not None:
                self.fail(
                    "lattice", "min/max/step", f"lattice value {vat_bad} is not 1 or 3", "use min 1, max 3, step 2"
                )

    def _spec(self, lo: Decimal, hi: Decimal, step: Decimal, default: Decimal) -> VariableSpec | None:
        treatment = self.values.get("treatment")
        dist = self.values.get("distribution")
        raw = self.values.get("dist_params") or ""
        if treatment != "random" and (dist or raw):
            self.fail(
                "variable_schema",
                "distribution",
                "distribution and dist_params apply to random variables only",
                "clear them or make the variable random",
            )
            return None
        dist = dist or "uniform"
        params = _parse_params(raw)
        if params is None or not set(params) <= DIST_PARAMS[dist]:
            self.fail(
                "variable_schema",
                "dist_params",
                f"'{raw}' is not valid for {dist}",
                f"use k=v pairs from: {', '.join(sorted(DIST_PARAMS[dist])) or 'none'}",
            )
            return None
        need = {"normal": {"sd"}, "lognormal": {"sd"}, "beta": {"a", "b"}}.get(dist, set())
        if (
            not need <= set(params)
            or any(params[k] <= 0 for k in ("a", "b") if k in params)
            or params.get("sd", Decimal(1)) < 0
        ):
            self.fail(
                "variable_schema",
                "dist_params",
                f"{dist} needs {', '.join(sorted(need))} (a, b > 0; sd ≥ 0)",
                "complete dist_params, e.g. sd=15000",
            )
            return None
        if dist == "lognormal" and default <= 0:
            self.fail("variable_schema", "default", "a lognormal variable needs default > 0", "raise the default")
            return None
        if "mode" in params and not lo <= params["mode"] <= hi:
            self.fail(
                "variable_schema",
                "dist_params",
                f"mode {params['mode']} lies outside [{lo}, {hi}]",
                "choose a mode within [min, max]",
            )
            return None
        return VariableSpec(self.scope, self.vid, dist, lo, hi, step, default, params)

    def _discrete(self, path: str, key: dict[str, Any]) -> Variable | None:
        for column in ("min", "max", "step"):
            if (self.text.get(column) or "").strip():
                self.fail("variable_schema", column, "discrete variables leave min, max and step empty", "clear them")
        if self.values.get("distribution") or self.values.get("dist_params"):
            self.fail("variable_schema", "distribution", "discrete variables take no distribution", "clear it")
        match = re.search(r"values=([^;\s]*)", self.values.get("notes") or "")
        options = tuple(dict.fromkeys(v.strip() for v in match.group(1).split("|") if v.strip())) if match else ()
        if not options:
            self.fail(
                "variable_schema",
                "notes",
                "a discrete variable needs values=a|b|c in notes",
                "add e.g. values=annuity|linear|bullet to notes",
            )
            return None
        allowed = [str(v) for v in key.get("enum", []) if v is not None]
        for option in options:
            if allowed and option not in allowed:
                self.fail(
                    "bad_discrete_value",
                    "notes",
                    f"value '{option}' is not valid for {path}",
                    f"use values from: {'|'.join(allowed)}",
                )
        csv_text = str(self.values.get("default") or "").strip()
        resolved = self._resolve_default(path, csv_text or None)
        if not isinstance(resolved, str):
            return None
        default = resolved
        if default not in options:
            self._fail_default_lattice(f"is not one of values= {'|'.join(options)}")
        if not self.ok:
            return None
        spec = VariableSpec(self.scope, self.vid, "discrete", None, None, None, default, {}, options)
        return Variable(
            self.scope,
            self.vid,
            path,
            str(self.values.get("treatment")),
            "enum",
            "discrete",
            self.rel,
            options,
            default,
            spec,
            self.default_from,
        )


def _on_lattice(value: Decimal, lo: Decimal, step: Decimal) -> bool:
    quotient = (value - lo) / step
    return abs(quotient - quotient.to_integral_value()) <= Decimal("1e-9")


def load_variables(bundle: Bundle, findings: Findings) -> list[Variable]:
    """All valid variables of every scope, in scope_id then variable_id byte order."""
    out: list[Variable] = []
    for scope in SCOPES:
        table = bundle.variables.get(scope)
        if table is None:
            continue
        ids: dict[str, int] = {}
        paths: dict[str, str] = {}
        for row in table.rows:
            vid = row.values.get("variable_id")
            if isinstance(vid, str) and vid in ids:
                findings.error(
                    "variable_schema",
                    table.rel,
                    f"line {row.line}",
                    f"variable_id: '{vid}' repeats line {ids[vid]}",
                    "give every variable its own id",
                )
                continue
            if isinstance(vid, str):
                ids[vid] = row.line
            if bundle.data(scope) is None:
                continue
            variable = _RowCheck(bundle, scope, table.rel, row, findings).run()
            if variable is None:
                continue
            if variable.path in paths:
                findings.error(
                    "variable_path",
                    table.rel,
                    f"line {row.line}",
                    f"path: {variable.path} is already targeted by {paths[variable.path]}",
                    "keep one variable per key path",
                )
                continue
            paths[variable.path] = variable.variable_id
            out.append(variable)
    return sorted(out, key=lambda v: (SCOPES.index(v.scope), v.variable_id.encode()))


__all__ = ["lattice_steps", "load_variables"]
