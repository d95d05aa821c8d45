"""Steps of specs/features/rng_determinism.feature: keyed draws, the plan and byte determinism.

DOMAIN [RNG-1] … [RNG-7], [IN-13] … [IN-17], [OUT-3], [OUT-4], [OUT-7], [OUT-11]. The fixture is
tests/fixtures/grid_001 (see its README.md). d3 runs in-process through the real CLI (typer), so
exit codes and JSONL events are the ones a user sees. Runs of the unmodified fixture come from the
session's cache of standard runs (tests/harness.py), so the suite stays fast; "run again" always makes a
new run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import shutil
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import STANDARD_RUNS, run_d3
from pytest_bdd import given, parsers, scenarios, then, when

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SCOPE_ID = {"general": 0, "public_tap": 1, "private_tap": 2}
SEED_KEYS = {
    "run": ("simulation.yaml", ("run", "random_seed")),
    "stochastic": ("simulation.yaml", ("stochastic", "random_seed")),
    "public": ("operator/public_tap.yaml", ("meta", "seed")),
    "private": ("operator/private_tap.yaml", ("meta", "seed")),
}

scenarios("rng_determinism.feature")


@dataclass
class Outcome:
    """One `d3` invocation: exit code, JSONL events, stderr and (for runs) the output folder."""

    exit_code: int
    events: list[dict[str, Any]]
    stderr: str
    out: Path | None = None

    def of(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["event"] == name]

    @property
    def folder(self) -> Path:
        assert self.out is not None
        return self.out / "latest"

    def read(self, rel: str) -> bytes:
        return (self.folder / rel).read_bytes()

    def summary(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.read("run_summary.json"))
        return data

    def transcript(self) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(self.read("variable_draws.csv").decode("utf-8"))))

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        import duckdb

        con = duckdb.connect(str(self.folder / "run.duckdb"), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def tables(self) -> set[str]:
        return {r[0] for r in self.query("SELECT table_name FROM information_schema.tables")}

    def draw_digest(self) -> str:
        """sha256 of the draw tables' content in path_id, month order (repr keeps every float bit)."""
        digest = hashlib.sha256()
        for table in ("draw_public_noise", "draw_private_noise"):
            for row in self.query(f"SELECT * FROM {table} ORDER BY path_id, month"):
                digest.update(repr(row).encode())
        return digest.hexdigest()


@dataclass
class World:
    """State shared by the steps of one scenario."""

    inputs: Path
    pristine: bool
    tmp: Path
    runs: list[Outcome] = field(default_factory=list)
    validation: Outcome | None = None

    def writable(self) -> Path:
        """The inputs as a private copy (made on first change; the fixture itself is never touched)."""
        if self.pristine:
            target = self.tmp / "inputs"
            shutil.copytree(self.inputs, target)
            self.inputs, self.pristine = target, False
        return self.inputs

    @property
    def last(self) -> Outcome:
        return self.runs[-1]


def _invoke(args: list[str], out: Path | None = None) -> Outcome:
    result = run_d3(*args)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert events and events[-1]["event"] == "run_done", result.stdout + result.stderr
    return Outcome(result.exit_code, events, result.stderr, out)


def _run(world: World, tmp_factory: pytest.TempPathFactory, extra: list[str], cache: bool) -> Outcome:
    if cache and world.pristine:  # read only: the steps read files and open run.duckdb read-only
        reference = STANDARD_RUNS.get(world.inputs.name, *extra)
        events = reference.outcome.assert_contract()
        return Outcome(reference.exit_code, events, reference.outcome.stderr, reference.out)
    out = tmp_factory.mktemp("rng-run") / "out"
    return _invoke(["run", "--inputs", str(world.inputs), "--out", str(out), *extra], out)


# --------------------------------------------------------------------------------------------------
# Given
# --------------------------------------------------------------------------------------------------


@given(parsers.parse('the scenario fixture "{name}"'), target_fixture="world")
def _fixture(name: str, tmp_path: Path) -> World:
    return World(FIXTURES / name, True, tmp_path)


def _set_simulation_value(world: World, shipped: str, value: int) -> None:
    """Replace `shipped` (e.g. "max_paths: 1000 ", which must occur) in simulation.yaml by the key with value."""
    sim = world.writable() / "simulation.yaml"
    text = sim.read_text(encoding="utf-8")
    assert shipped in text
    key = shipped.split(":")[0]
    sim.write_text(text.replace(shipped, f"{key}: {value} "), encoding="utf-8")


@given(parsers.parse("run.max_paths is set to {limit:d}"))
def _max_paths(world: World, limit: int) -> None:
    _set_simulation_value(world, "max_paths: 1000 ", limit)


@given(parsers.parse("run.random_runs_per_simulation is set to {replicates:d}"))
def _replicates(world: World, replicates: int) -> None:
    _set_simulation_value(world, "random_runs_per_simulation: 4 ", replicates)


@given(parsers.parse("stochastic.simulations_per_run is set to {mc:d}"))
def _mc(world: World, mc: int) -> None:
    _set_simulation_value(world, "simulations_per_run: 3 ", mc)


@given(parsers.parse('the public variable "{row}" is added'))
def _add_public_variable(world: World, row: str) -> None:
    path = world.writable() / "variables" / "public_tap.csv"
    path.write_text(path.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")


@given(parsers.parse('the seeds are "{seeds}"'))
def _seeds(world: World, seeds: str) -> None:
    root = world.writable()
    for item in seeds.split():
        name, _, raw = item.partition("=")
        rel, (section, key) = SEED_KEYS[name]
        data = yaml.safe_load((root / rel).read_text(encoding="utf-8"))
        data.setdefault(section, {})[key] = None if raw == "null" else int(raw)
        (root / rel).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


# --------------------------------------------------------------------------------------------------
# When
# --------------------------------------------------------------------------------------------------


@when(parsers.parse("the fixture is run with concurrency {workers:d} and {batch:d} paths per batch"))
def _run_first(world: World, tmp_path_factory: pytest.TempPathFactory, workers: int, batch: int) -> None:
    args = ["--max-concurrency", str(workers), "--paths-per-batch", str(batch)]
    world.runs.append(_run(world, tmp_path_factory, args, cache=True))


@when(parsers.parse("the fixture is run again with concurrency {workers:d} and {batch:d} paths per batch"))
def _run_again(world: World, tmp_path_factory: pytest.TempPathFactory, workers: int, batch: int) -> None:
    args = ["--max-concurrency", str(workers), "--paths-per-batch", str(batch)]
    world.runs.append(_run(world, tmp_path_factory, args, cache=False))


@when(
    parsers.parse(
        "the fixture is run again with concurrency {workers:d} and {batch:d} paths per batch keeping every path table"
    )
)
def _run_keeping(world: World, tmp_path_factory: pytest.TempPathFactory, workers: int, batch: int) -> None:
    args = ["--max-concurrency", str(workers), "--paths-per-batch", str(batch), "--keep-path-tables"]
    world.runs.append(_run(world, tmp_path_factory, args, cache=True))  # shared: test_representative_rows.py


@then(parsers.parse("public_model_month holds {n:d} paths"))
def _model_month_paths(world: World, n: int) -> None:
    assert world.last.query("SELECT count(DISTINCT path_id) FROM public_model_month") == [(n,)]


@then("both runs have the same value artefacts")
def _same_values(world: World) -> None:
    """Every SHA256SUMS line but the run's identity (run_summary, the report's run id, the id-bearing summary)."""

    def values(run: Outcome) -> list[str]:
        lines = run.read("SHA256SUMS").decode("utf-8").splitlines()
        return [line for line in lines if line.split("  ", 1)[1].endswith(".csv") and "/" not in line.split("  ", 1)[1]]

    assert values(world.runs[-2]) == values(world.runs[-1]) != []


@when(parsers.parse("the fixture is run again with seed {seed:d}"))
def _run_seed(world: World, tmp_path_factory: pytest.TempPathFactory, seed: int) -> None:
    world.runs.append(_run(world, tmp_path_factory, ["--seed", str(seed)], cache=False))


@when(parsers.parse('the fixture is run with pipelines "{pipelines}"'))
def _run_pipelines(world: World, tmp_path_factory: pytest.TempPathFactory, pipelines: str) -> None:
    world.runs.append(_run(world, tmp_path_factory, ["--pipelines", pipelines], cache=True))


@when(parsers.parse('the fixture is checked with pipelines "{pipelines}" and seed option "{args}"'))
def _validate(world: World, pipelines: str, args: str) -> None:
    """`d3 validate`, which resolves the master seed as `d3 run` does (`--seed` included) and names it."""
    options = [] if args == "none" else args.split()
    world.validation = _invoke(["validate", "--inputs", str(world.inputs), "--pipelines", pipelines, *options])


# --------------------------------------------------------------------------------------------------
# Then: plan and summary
# --------------------------------------------------------------------------------------------------


@then(parsers.parse("the run exits with code {code:d}"))
def _exit_code(world: World, code: int) -> None:
    assert world.last.exit_code == code, world.last.stderr


@then(parsers.parse("the grid_built event reports grid_size {g:d}, replicates {r:d}, mc {m:d} and paths {n:d}"))
def _grid_built(world: World, g: int, r: int, m: int, n: int) -> None:
    (built,) = world.last.of("grid_built")
    assert (built["grid_size"], built["replicates"], built["mc"], built["paths"]) == (g, r, m, n)


@then(
    parsers.parse("run_summary.json records {g:d} grid points, {r:d} replicates, {m:d} MC iterations and {n:d} paths")
)
def _summary_paths(world: World, g: int, r: int, m: int, n: int) -> None:
    assert world.last.summary()["paths"] == {"grid": g, "replicates": r, "mc": m, "total": n}


@then(parsers.parse('run_summary.json records seed {seed:d} from "{source}"'))
def _summary_seed(world: World, seed: int, source: str) -> None:
    summary = world.last.summary()
    assert (summary["seed"], summary["seed_source"]) == (seed, source)


@then(parsers.parse('run_summary.json lists the grid variables "{spec}"'))
def _summary_grid(world: World, spec: str) -> None:
    got = [f"{g['scope']}/{g['variable_id']}={'|'.join(g['values'])}" for g in world.last.summary()["grid_variables"]]
    assert got == spec.split("; ")


@then(parsers.parse('run_summary.json lists the random variables "{spec}"'))
def _summary_random(world: World, spec: str) -> None:
    got = [f"{v['scope']}/{v['variable_id']}={v['distribution']}" for v in world.last.summary()["random_variables"]]
    assert got == spec.split("; ")


@then(parsers.parse("the draw tables hold {n:d} path of {h:d} months for each tap"))
@then(parsers.parse("the draw tables hold {n:d} paths of {h:d} months for each tap"))
def _draw_tables(world: World, n: int, h: int) -> None:
    for table in ("draw_public_noise", "draw_private_noise"):
        rows = world.last.query(f"SELECT count(*), count(DISTINCT path_id), min(month), max(month) FROM {table}")
        assert rows == [(n * h, n, 1, h)]


# --------------------------------------------------------------------------------------------------
# Then: transcript
# --------------------------------------------------------------------------------------------------


@then(parsers.parse("variable_draws.csv has {n:d} rows in grid_index, replicate_index, scope id, variable_id order"))
def _transcript_order(world: World, n: int) -> None:
    rows = world.last.transcript()
    assert len(rows) == n
    keys = [
        (int(r["grid_index"]), int(r["replicate_index"]), SCOPE_ID[r["scope"]], r["variable_id"].encode()) for r in rows
    ]
    assert keys == sorted(keys) and len(set(keys)) == n


@then(parsers.parse("every (grid_index, replicate_index) of variable_draws.csv lists the same {k:d} variables"))
def _transcript_complete(world: World, k: int) -> None:
    groups = itertools.groupby(world.last.transcript(), key=lambda r: (r["grid_index"], r["replicate_index"]))
    listed = {tuple((r["scope"], r["variable_id"]) for r in rows) for _, rows in groups}
    assert len(listed) == 1 and len(next(iter(listed))) == k


@then(parsers.parse('variable_draws.csv reads "{line}"'))
def _transcript_line(world: World, line: str) -> None:
    assert line in world.last.read("variable_draws.csv").decode("utf-8").splitlines()


@then(parsers.parse('the transcript values of "{variable}" are exactly "{values}"'))
def _transcript_values(world: World, variable: str, values: str) -> None:
    got = {r["draw_value"] for r in world.last.transcript() if r["variable_id"] == variable}
    assert got == set(values.split("|"))


@then(parsers.parse("each of the {k:d} random variables has one value per parameter set, shared by its {m:d} MC paths"))
def _one_value_per_set(world: World, k: int, m: int) -> None:
    run = world.last
    paths = run.summary()["paths"]
    sets = paths["grid"] * paths["replicates"]
    per_set = run.query(
        "SELECT variable_id, count(*), count(DISTINCT param_set_id) FROM params WHERE treatment = 'random' "
        "GROUP BY variable_id ORDER BY variable_id"
    )
    assert len(per_set) == k and all(count == sets == distinct for _, count, distinct in per_set)
    # Every MC path reads its set's row: path_id = (grid_index·R + replicate_index)·M + mc_index [GEN-2].
    assert paths["mc"] == m
    bad = run.query(
        f"SELECT count(*) FROM draw_public_noise WHERE mc_index >= {m} "
        f"OR path_id <> (grid_index * {paths['replicates']} + replicate_index) * {m} + mc_index"
    )
    assert bad == [(0,)]


@then(parsers.parse('variable_draws.csv has no "{scope}" row'))
def _transcript_without(world: World, scope: str) -> None:
    rows = world.last.transcript()
    assert rows and all(r["scope"] != scope for r in rows)


@then(parsers.parse('the run has no table "{first}" and no table "{second}"'))
def _no_tables(world: World, first: str, second: str) -> None:
    tables = world.last.tables()
    assert "params_private_tap" in tables and first not in tables and second not in tables


# --------------------------------------------------------------------------------------------------
# Then: parameter tables
# --------------------------------------------------------------------------------------------------


@then(parsers.parse('params_public_tap.target_margin_pct by grid_index is "{values}"'))
def _margin_by_grid(world: World, values: str) -> None:
    rows = world.last.query(
        "SELECT grid_index, min(target_margin_pct), max(target_margin_pct) FROM params_public_tap "
        "GROUP BY grid_index ORDER BY grid_index"
    )
    assert [lo for _, lo, _ in rows] == [float(v) for v in values.split("|")]
    assert all(lo == hi for _, lo, hi in rows)


@then(parsers.parse('params_private_tap weights by grid_index are "{even}" on even and "{odd}" on odd grid points'))
def _weights_by_grid(world: World, even: str, odd: str) -> None:
    rows = world.last.query(
        "SELECT DISTINCT grid_index, weight_cost, weight_availability, weight_reputation FROM params_private_tap "
        "ORDER BY grid_index"
    )
    assert [r[0] for r in rows] == list(range(6))  # one weight triple per grid point
    assert even == "0.5/0.3/0.2" and odd == "0.7/1.2, 0.3/1.2, 0.2/1.2"
    for g, cost, availability, reputation in rows:
        # Sum 1.0 exactly: used as written. Sum 1.2: divided by it, silently [IN-17].
        expected = (0.5, 0.3, 0.2) if g % 2 == 0 else (0.7 / 1.2, 0.3 / 1.2, 0.2 / 1.2)
        assert (cost, availability, reputation) == expected


@then(parsers.parse('some transcript value of "{variable}" exceeds {cap:d}'))
def _draw_exceeds(world: World, variable: str, cap: int) -> None:
    assert any(Decimal(r["draw_value"]) > cap for r in world.last.transcript() if r["variable_id"] == variable)


@then(
    parsers.parse(
        "params_public_tap.min_floor_eur_per_1k is the smaller of the draw and the cap {cap:d} in every parameter set"
    )
)
def _floor_clamped(world: World, cap: int) -> None:
    rows = world.last.query(
        "SELECT p.param_set_id, p.min_floor_eur_per_1k, p.max_cap_eur_per_1k, v.value_num FROM params_public_tap p "
        "JOIN params v USING (param_set_id) WHERE v.variable_id = 'floor_draw' ORDER BY p.param_set_id"
    )
    assert len(rows) == 6 * 24  # G = 6 grid points × R = 24 replicates
    assert all(floor == min(drawn, cap) and cap_value == cap for _, floor, cap_value, drawn in rows)


# --------------------------------------------------------------------------------------------------
# Then: determinism
# --------------------------------------------------------------------------------------------------


@then("both runs have the same SHA256SUMS")
def _same_sums(world: World) -> None:
    first, second = world.runs[-2], world.runs[-1]
    assert first.out != second.out
    sums = first.read("SHA256SUMS")
    assert sums == second.read("SHA256SUMS")
    # SHA256SUMS must cover the transcript and the summary, and each listed file must match it.
    listed = {}
    for line in sums.decode("utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    assert {"variable_draws.csv", "run_summary.json"} <= set(listed)
    for rel, digest in listed.items():
        assert hashlib.sha256(second.read(rel)).hexdigest() == digest


@then("both runs have the same variable_draws.csv")
def _same_transcript(world: World) -> None:
    assert world.runs[-2].read("variable_draws.csv") == world.runs[-1].read("variable_draws.csv")


@then("both runs have the same draw tables")
def _same_draws(world: World) -> None:
    assert world.runs[-2].draw_digest() == world.runs[-1].draw_digest()


@then(parsers.parse('the second run records seed {seed:d} from "{source}"'))
def _second_seed(world: World, seed: int, source: str) -> None:
    summary = world.last.summary()
    assert (summary["seed"], summary["seed_source"]) == (seed, source)


@then("the draw tables differ between the runs")
def _draws_differ(world: World) -> None:
    assert world.runs[-2].draw_digest() != world.runs[-1].draw_digest()


def _by_treatment(run: Outcome, random: bool) -> list[tuple[str, ...]]:
    """Transcript rows of the random variables (random=True) or of all the others."""
    drawn = {(v["scope"], v["variable_id"]) for v in run.summary()["random_variables"]}
    return [tuple(r.values()) for r in run.transcript() if ((r["scope"], r["variable_id"]) in drawn) == random]


@then("the random variables of the transcript differ between the runs")
def _random_differ(world: World) -> None:
    first, second = _by_treatment(world.runs[-2], True), _by_treatment(world.runs[-1], True)
    assert len(first) == len(second) == 6 * 4 * 4
    changed = sum(a != b for a, b in zip(first, second, strict=True))
    assert changed > len(first) // 2


@then("the fixed and grid variables of the transcript are the same in both runs")
def _others_same(world: World) -> None:
    first, second = _by_treatment(world.runs[-2], False), _by_treatment(world.runs[-1], False)
    assert first == second and len(first) == 6 * 4 * 21


# --------------------------------------------------------------------------------------------------
# Then: refusals and seeds
# --------------------------------------------------------------------------------------------------


@then(parsers.parse('a "{code}" error says "{text}"'))
def _error_says(world: World, code: str, text: str) -> None:
    errors = [e for e in world.last.of("validate_error") if e["code"] == code]
    assert len(errors) == 1 and text in errors[0]["message"] and errors[0]["hint"]
    assert text in world.last.stderr


@then("nothing is published")
def _nothing_published(world: World) -> None:
    out = world.last.out
    assert out is not None and (not out.exists() or not any(out.iterdir()))


@then(parsers.parse('the validation reports seed {seed:d} from "{source}"'))
def _validation_seed(world: World, seed: int, source: str) -> None:
    outcome = world.validation
    assert outcome is not None and outcome.exit_code == 0, outcome and outcome.stderr
    (done,) = outcome.of("validate_done")
    assert (done["seed"], done["seed_source"]) == (seed, source)


@then(parsers.parse('the validation exits with code {code:d} and reports "{error}"'))
def _validation_error(world: World, code: int, error: str) -> None:
    outcome = world.validation
    assert outcome is not None and outcome.exit_code == code
    assert [e["code"] for e in outcome.of("validate_error")] == [error]
    assert f"[{error}]" in outcome.stderr
