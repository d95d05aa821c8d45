"""The xdist scheduler of `make test` (tests/scheduling.py): its groups name every module that reads an
expensive cached run, and it hands out the heaviest work unit first."""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from scheduling import GROUPS, HINT_SECONDS, _scheduler_class, unit_of

ROOT = Path(__file__).resolve().parents[2]
READERS = {"shipped runs": re.compile(r"\b(shipped_run|shipped_std|shipped_small_run|small_shipped_run)\b")}


def test_every_grouped_module_exists_and_every_hint_is_a_unit() -> None:
    assert all((ROOT / module).is_file() for module in GROUPS), [m for m in GROUPS if not (ROOT / m).is_file()]
    assert all(unit in GROUPS.values() or (ROOT / unit).is_file() for unit in HINT_SECONDS)


@pytest.mark.parametrize("group", sorted(READERS))
def test_every_module_that_reads_a_grouped_run_is_in_its_group(group: str) -> None:
    """A module missing here would still pass, but its worker could wait a minute on the run's lock."""
    readers = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "tests").rglob("test_*.py")
        if READERS[group].search(path.read_text(encoding="utf-8")) and path.name != Path(__file__).name
    }
    assert readers and readers == {module for module, unit in GROUPS.items() if unit == group}


def test_units_are_modules_classes_or_groups() -> None:
    assert unit_of("tests/unit/test_cli.py::test_x[a-b]") == "tests/unit/test_cli.py"
    assert unit_of("tests/unit/test_cli.py::TestX::test_y") == "tests/unit/test_cli.py::TestX"
    assert unit_of("tests/sql/test_finance_cli.py::test_x") == "shipped runs"


class _Node:
    shutting_down = False

    def __init__(self) -> None:
        self.sent: list[list[int]] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.append(indices)


def test_the_heaviest_unit_goes_first_whatever_its_test_count() -> None:
    collection = ["a.py::t1", "a.py::t2", "a.py::t3", "b.py::t1", "tests/chaos/test_fuzz.py::t", "c.py::t1"]
    scheduler: Any = _scheduler_class().__new__(_scheduler_class())
    scheduler.seconds = {"b.py::t1": 9.0, "a.py::t1": 0.2}  # c.py never timed: 0.1 s; fuzz: its hint
    scheduler.workqueue = OrderedDict()
    for nodeid in collection:
        scheduler.workqueue.setdefault(unit_of(nodeid), {})[nodeid] = False
    node = _Node()
    scheduler.assigned_work = {node: {}}
    scheduler.registered_collections = {node: collection}
    for _ in range(4):
        scheduler._assign_work_unit(node)
    assert node.sent == [[4], [3], [0, 1, 2], [5]]  # fuzz (hint 30 s), b (9 s), a (0.4 s), c (0.1 s)
