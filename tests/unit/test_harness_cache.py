"""The session's cache of standard runs is one cache: every module reaches it through the module `harness`;
and the harness draws a chart again only for other data (`harness.chart_key`).

A module that imported `tests.harness` got a second copy of the module, whose cache was never pointed at the
session's shared folder: five modules recomputed runs the others had cached, on every xdist worker (found in
2026-12: the minimal run was computed four times instead of twice, the grid run twice more).
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness
import pytest


def test_the_harness_cannot_be_imported_under_a_second_name() -> None:
    spec = importlib.util.spec_from_file_location("tests.harness", Path(harness.__file__))
    assert spec is not None and spec.loader is not None
    with pytest.raises(ImportError, match="import the test harness as `harness`"):
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert "tests.harness" not in sys.modules


def test_the_cache_lives_in_the_session_folder_every_worker_shares(standard_runs_folder: Path) -> None:
    assert harness.STANDARD_RUNS._folder() == standard_runs_folder


def _captured(make: Callable[[], bytes]) -> Callable[..., Any]:
    """The drawing function a chart function hands to `charts.png_bytes`."""
    from d3_engine.report import charts

    drawn: list[Callable[..., Any]] = []
    original = charts.png_bytes
    charts.png_bytes = lambda draw: drawn.append(draw) or b""  # type: ignore[assignment]
    try:
        make()
    finally:
        charts.png_bytes = original  # type: ignore[assignment]
    (draw,) = drawn
    return draw


def test_a_chart_is_remembered_by_its_code_and_exact_data() -> None:
    """`charts_drawn_once` may hand out a PNG drawn before only for the same drawing of the same values: one ulp,
    another title, or another chart kind over the same data is another key; a value that is not plain data
    (whose repr would not say what is drawn) gives no key at all."""
    from d3_engine.report import charts

    def lines(y: float, title: str = "t") -> Callable[..., Any]:
        return _captured(lambda: charts.lines_chart(title, [1, 2], ["a", "b"], [("l", [1.0, y])], [], "EUR"))

    assert harness.chart_key(lines(2.0)) == harness.chart_key(lines(2.0))
    assert harness.chart_key(lines(2.0)) != harness.chart_key(lines(math.nextafter(2.0, 3.0)))
    assert harness.chart_key(lines(2.0)) != harness.chart_key(lines(2.0, title="u"))
    bars = _captured(lambda: charts.grouped_bars("t", ["a", "b"], [("l", [1.0, 2.0])], "EUR", horizontal=False))
    assert harness.chart_key(bars) != harness.chart_key(lines(2.0))
    unknown = object()
    assert harness.chart_key(lambda fig, ax: (fig, ax, unknown)) is None
    assert harness.chart_key(lambda fig, ax, size=1.0: (fig, ax, size)) is None  # a default the key cannot see


@pytest.mark.draws_charts  # starts without the conftest's memo in place
def test_inside_run_d3_each_distinct_chart_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine's `png_bytes` draws (encodes) each distinct chart once inside the block, hands the same bytes
    out again, and draws again outside it; the memo starts empty here, so the test can run any number of times."""
    from d3_engine.report import charts

    monkeypatch.setattr(harness, "_DRAWN", {})
    encoded: list[int] = []
    encode = charts.encode_png
    monkeypatch.setattr(charts, "encode_png", lambda rgba: encoded.append(1) or encode(rgba))
    with harness.charts_drawn_once():
        first = charts.tornado_chart("t", ["v"], [1.0], [3.0], 2.0)
        again = charts.tornado_chart("t", ["v"], [1.0], [3.0], 2.0)
        other = charts.tornado_chart("t", ["v"], [1.0], [3.5], 2.0)
    assert charts.png_bytes is harness.ENGINE_PNG_BYTES  # the block gives back what it found
    assert first == again and other != first and len(encoded) == 2 and len(harness._DRAWN) == 2
    assert charts.tornado_chart("t", ["v"], [1.0], [3.0], 2.0) == first and len(encoded) == 3


@pytest.mark.draws_charts
def test_a_png_bytes_a_test_put_in_place_is_never_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in `png_bytes` (a test's) is called every time and leaves nothing behind for the runs that follow."""
    from d3_engine.report import charts

    monkeypatch.setattr(harness, "_DRAWN", {})
    calls: list[object] = []

    def stand_in(draw: object) -> bytes:
        calls.append(draw)
        return b"FAKE"

    monkeypatch.setattr(charts, "png_bytes", stand_in)
    with harness.charts_drawn_once():
        charts.tornado_chart("t", ["v"], [1.0], [3.0], 2.0)
        charts.tornado_chart("t", ["v"], [1.0], [3.0], 2.0)
        assert charts.png_bytes is stand_in
    assert len(calls) == 2 and harness._DRAWN == {}
