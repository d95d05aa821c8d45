"""How `pytest -n 2 --dist loadscope` shares the suite between its workers (a pytest plugin, see conftest.py).

xdist's loadscope sends whole modules ("work units") to a worker, the units with most tests first, so the
module-scoped fixtures are built once. Two changes bring the wall time of `make test` on 2 cores close to
half its CPU time:

- Groups: the modules that read one expensive cached run (harness.STANDARD_RUNS) form one work unit, so one
  worker computes the run and the other never sits on its file lock meanwhile (the full shipped run of
  5 000 paths × 60 months takes the better part of a minute).
- Heaviest first: a unit's cost is the sum of its tests' seconds when they last ran (pytest's cache,
  `d3/test_seconds`, 0.1 s for a test never timed), or HINT_SECONDS for a heavy unit none of whose tests was
  ever timed (a fresh clone); a worker that needs work always takes the heaviest unit left, so no long module
  starts last and leaves one worker idle at the end.

Only the order and the grouping change: every test runs, with the same fixtures, exactly as before.
"""

from __future__ import annotations

from typing import Any

import pytest

#: Module → the work unit it joins (modules not listed are a unit of their own, as in loadscope).
GROUPS = {
    # The cached runs of the shipped inputs: the full-size one (conftest `shipped_std`, `shipped_run`) and the
    # small ones (harness.small_shipped_run, conftest `shipped_small_run`).
    "tests/sql/test_finance_cli.py": "shipped runs",
    "tests/sql/test_model_contracts.py": "shipped runs",
    "tests/unit/test_table_comments.py": "shipped runs",
    "tests/unit/test_published_internals.py": "shipped runs",
    "tests/unit/test_whatif_runs.py": "shipped runs",
    "tests/unit/test_packaging.py": "shipped runs",
    "tests/unit/test_artefact_headers.py": "shipped runs",
    "tests/unit/test_stress_concurrency.py": "shipped runs",
}

#: Seconds of the heaviest units (≥ 3 s; a fresh clone's `make test`, nineteenth session) on a 2-core machine with
#: coverage, for a session with no cached timings (a fresh clone, CI). A unit missing here counts 0.1 s per test: a
#: one-test module of 12 s would be handed out last and keep one worker busy while the other idles. Refresh from
#: `.pytest_cache/v/d3/test_seconds` (summed per `unit_of`) when a unit's cost changes by several seconds.
HINT_SECONDS = {
    "shipped runs": 51.0,
    "tests/bdd/test_rng_determinism.py": 46.0,
    "tests/chaos/test_kills.py": 29.0,
    "tests/chaos/test_fuzz.py": 12.0,
    "tests/bdd/test_private_economics.py": 9.0,
    "tests/unit/test_dec_fast_path.py": 9.0,
    "tests/bdd/test_acceptance.py": 9.0,
    "tests/unit/test_properties_finance.py": 11.0,
    "tests/unit/test_batch_failure_message.py": 8.0,
    "tests/unit/test_badinput.py": 7.0,
    "tests/sql/test_growth_limits.py": 7.0,
    "tests/sql/test_finance_paths.py": 7.0,
    "tests/unit/test_optional_keys_run.py": 6.0,
    "tests/unit/test_formats.py": 6.0,
    "tests/unit/test_row_group_appends.py": 6.0,
    "tests/test_style.py": 5.0,
    "tests/unit/test_series_select.py": 5.0,
    "tests/sql/test_finance_cash.py": 5.0,
    "tests/unit/test_report_charts.py": 5.0,
    "tests/unit/test_properties_growth.py": 5.0,
    "tests/browser/test_report_browser.py": 4.0,
    "tests/sql/test_checks_sql.py": 4.0,
    "tests/unit/test_public_idle_models.py": 4.0,
    "tests/unit/test_ledger.py": 4.0,
    "tests/unit/test_one_path_batch.py": 4.0,
    "tests/sql/test_public_demand_models.py": 4.0,
    "tests/unit/test_report_golden.py": 4.0,
    "tests/unit/test_publish.py": 4.0,
    "tests/bdd/test_report.py": 3.0,
    "tests/unit/test_model_render.py": 3.0,
    "tests/unit/test_cli.py": 3.0,
    "tests/bdd/test_consolidation.py": 3.0,
}
CACHE_KEY = "d3/test_seconds"
SECONDS_PER_TEST = 0.1


def unit_of(nodeid: str) -> str:
    """The work unit of a test: its group, else its module (or class), as loadscope splits it."""
    module = nodeid.split("::", 1)[0]
    return GROUPS.get(module, nodeid.rsplit("::", 1)[0])


def _scheduler_class() -> type:
    from xdist.scheduler import LoadScopeScheduling

    class HeaviestFirstScheduling(LoadScopeScheduling):  # type: ignore[misc]
        """loadscope with the GROUPS as units, handed out heaviest first."""

        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            cache = getattr(config, "cache", None)  # None under -p no:cacheprovider
            self.seconds: dict[str, float] = (cache.get(CACHE_KEY, {}) if cache is not None else {}) or {}

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

        def _cost(self, unit: str) -> float:
            tests = self.workqueue[unit]
            if unit in HINT_SECONDS and not any(t in self.seconds for t in tests):
                return HINT_SECONDS[unit]
            return sum(float(self.seconds.get(t, SECONDS_PER_TEST)) for t in tests)

        def _assign_work_unit(self, node: Any) -> None:
            heaviest = max(self.workqueue, key=self._cost)  # ties: the first in collection order
            self.workqueue.move_to_end(heaviest, last=False)
            super()._assign_work_unit(node)

    return HeaviestFirstScheduling


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadscope` gets the grouped, heaviest-first scheduler; other modes keep xdist's own."""
    if config.getvalue("dist") != "loadscope":
        return None
    return _scheduler_class()(config, log)


_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Sum each test's seconds (setup, call and teardown)."""
    _SECONDS[report.nodeid] = _SECONDS.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Keep the timings of the tests that ran for the next session's order (an xdist worker leaves it to the
    controller, which sees every worker's reports)."""
    config = session.config
    cache = getattr(config, "cache", None)  # None under -p no:cacheprovider
    if hasattr(config, "workerinput") or cache is None or not _SECONDS:
        return
    known = cache.get(CACHE_KEY, {}) or {}
    cache.set(CACHE_KEY, {**known, **{test: round(s, 3) for test, s in _SECONDS.items()}})
