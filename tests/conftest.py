"""Shared fixtures: copies of input bundles to mutate, the `d3` CLI in-process or as a subprocess, and the
session-wide cache of the standard runs (all built on tests/harness.py).

Every test that feeds d3 bad input builds it by mutating a copy of `tests/fixtures/minimal_001`
(or the shipped `inputs/`) in `tmp_path`; nothing under the repository is ever changed.
The fixtures are used by tests/unit and tests/bdd alike [IN-18, CLI-2, OUT-11].

Markers (registered in pyproject.toml): `e2e` marks a test that runs a whole `d3 run` of its own (or builds
the wheel); `pytest -m "not e2e"` is the fast loop. A test that only reads a cached standard run is not e2e.
`draws_charts` marks a test of chart drawing itself: it draws every chart, where every other test draws each
distinct chart once per process (`harness.charts_drawn_once`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from harness import (
    BUNDLES,
    GRID_RUN,
    NO_STRESS,
    STANDARD_RUNS,
    CliOutcome,
    InputsCopy,
    StandardRun,
    charts_drawn_once,
    copy_bundle,
    run_d3,
    small_shipped_run,
    standard_run,
    tree_digest,
)

__all__ = ["BUNDLES", "CliOutcome", "InputsCopy"]

# The xdist scheduler of `make test`: modules sharing one expensive cached run together, heaviest first.
pytest_plugins = ["scheduling"]


@pytest.fixture(scope="session", autouse=True)
def standard_runs_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The standard runs live in the session's temporary root, shared by the xdist workers of one session."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # every worker's basetemp sits in the session's root
    STANDARD_RUNS.set_base(base / "d3-standard-runs")
    return base / "d3-standard-runs"


@pytest.fixture(autouse=True)
def charts_once(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each distinct chart is drawn once per test process (the report tests render the same runs again and
    again); a test marked `draws_charts` draws for real every time."""
    if request.node.get_closest_marker("draws_charts"):
        yield
        return
    with charts_drawn_once():
        yield


@pytest.fixture
def bundle_copy(tmp_path: Path) -> Callable[..., InputsCopy]:
    """`bundle_copy("minimal_001")` → an InputsCopy of that bundle under tmp_path."""
    counter = iter(range(1000))

    def make(name: str = "minimal_001") -> InputsCopy:
        return copy_bundle(name, tmp_path / f"{name}-{next(counter)}")

    return make


@pytest.fixture
def minimal(bundle_copy: Callable[..., InputsCopy]) -> InputsCopy:
    """A fresh copy of the golden fixture minimal_001 [EX-1]."""
    return bundle_copy("minimal_001")


@pytest.fixture
def d3() -> Callable[..., CliOutcome]:
    """`d3("validate", "--inputs", X)` runs the real CLI in-process; `spawn=True` runs the `d3` executable."""
    return run_d3


@pytest.fixture(scope="session")
def minimal_std() -> StandardRun:
    """The cached `d3 run --quiet` of minimal_001 (read only; `.copy_to()` before writing)."""
    return standard_run("minimal_001")


@pytest.fixture(scope="session")
def shipped_std() -> StandardRun:
    """The cached full-size `d3 run --quiet` of the shipped inputs (5 000 paths × 60 months) with the stress
    tests off (harness.NO_STRESS: they never change the base; `shipped_small_run` has them). Read only."""
    return standard_run("inputs", *NO_STRESS)


@pytest.fixture(scope="session")
def grid_std() -> StandardRun:
    """The cached `d3 run <GRID_RUN>` of grid_001, the one rng_determinism.feature makes (read only; `.copy_to()`
    before writing)."""
    return STANDARD_RUNS.get("grid_001", *GRID_RUN)


@pytest.fixture(scope="session")
def minimal_run(minimal_std: StandardRun) -> Path:
    """The published run folder of the cached minimal_001 run (read only)."""
    assert minimal_std.exit_code == 0, minimal_std.outcome.stdout + minimal_std.outcome.stderr
    return minimal_std.run_dir


@pytest.fixture(scope="session")
def shipped_run(shipped_std: StandardRun) -> Path:
    """The published run folder of the cached full-size shipped-inputs run (read only)."""
    assert shipped_std.exit_code in (0, 4), shipped_std.outcome.stderr
    return shipped_std.run_dir


@pytest.fixture(scope="session")
def shipped_small_run() -> Path:
    """The published run folder of the cached small run of the shipped inputs, stress tests included
    (harness.SMALL_PLAN; read only)."""
    small = small_shipped_run()
    assert small.exit_code == 0, small.outcome.stderr
    return small.run_dir


def _assert_finding(
    outcome: CliOutcome, code: str, file: str, names: tuple[str, ...] = (), original: str | None = None
) -> dict[str, Any]:
    """The run reported `code` for `file`, naming names[0] in its location or message (and the other
    names there or in the hint), as a `validate_error` event and as a stderr line of the form
    `file:location: message — To fix this, hint` [IN-18, ARCHITECTURE §6]. Returns the event."""
    errors = outcome.of("validate_error")
    matching = [e for e in errors if e["code"] == code and e["file"] == file]
    assert matching, f"no {code} for {file}; got {[(e['code'], e['file'], e['message']) for e in errors]}"

    def names_it(e: dict[str, Any]) -> bool:
        head, full = f"{e['location']} {e['message']}", f"{e['location']} {e['message']} {e['hint']}"
        return (not names or names[0] in head) and all(n in full for n in names)

    wanted = [e for e in matching if names_it(e)]
    assert wanted, f"{names} not named in {[(e['message'], e['hint']) for e in matching]}"
    event = wanted[0]
    assert event["hint"], event
    if original is not None:
        assert event.get("original_code") == original, event
    where = f"{event['file']}:{event['location']}" if event["location"] else event["file"]
    line = f"{where}: {event['message']} — To fix this, {event['hint']}"
    assert any(line in ln and f"[{code}]" in ln for ln in outcome.stderr.splitlines()), (
        f"stderr lacks {line!r}:\n{outcome.stderr}"
    )
    return event


@pytest.fixture
def assert_finding() -> Callable[..., dict[str, Any]]:
    """`assert_finding(outcome, code, file, names, original=None)` → the matching validate_error event."""
    return _assert_finding


@pytest.fixture(name="tree_digest")
def tree_digest_fixture() -> Callable[[Path], dict[str, str]]:
    """`tree_digest(folder)` → {relative path: sha256 | '-> link target' | 'dir'} to prove a tree unchanged."""
    return tree_digest


@pytest.fixture
def previous_out(minimal_std: StandardRun, tmp_path: Path) -> Path:
    """A private copy of an output folder holding one good published run of minimal_001 (the cached run),
    which a test may hand to `d3 run --out`."""
    assert minimal_std.exit_code == 0 and (minimal_std.out / "latest").is_symlink()
    return minimal_std.copy_to(tmp_path / "previous-out").out


@pytest.fixture
def published_run(minimal_std: StandardRun, tmp_path: Path) -> Path:
    """A private copy of an output folder holding the cached minimal_001 run as `latest` (a test may write there)."""
    assert minimal_std.exit_code == 0 and (minimal_std.out / "latest").is_symlink()
    return minimal_std.copy_to(tmp_path / "published").out
