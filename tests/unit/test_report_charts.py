"""Charts are reproducible bytes [OUT-10] [RNG-7]: 1200×700 at 100 dpi, Agg, bundled DejaVu Sans, no metadata.

A PNG is a signature plus chunks; ours must be exactly IHDR, pHYs (100 dpi = 3937 px/m), IDAT… and IEND:
no `tEXt`/`iTXt`/`zTXt` (Software, dates) and no `tIME`. The charts are opaque, so they are RGB: the pixels
savefig would write as RGBA without the alpha channel, which is 255 everywhere. A user's rcParams must not
change a byte, and two processes must draw the same bytes.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zlib
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
import pytest
from PIL import Image
from test_report_fixture import copy_run

from d3_engine.report import charts

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

pytestmark = pytest.mark.draws_charts  # these tests draw every chart (no `harness.charts_drawn_once`)

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk; each CRC is checked."""
    assert png[:8] == SIGNATURE
    out, i = [], 8
    while i < len(png):
        n = int.from_bytes(png[i : i + 4], "big")
        kind, data = png[i + 4 : i + 8], png[i + 8 : i + 8 + n]
        assert int.from_bytes(png[i + 8 + n : i + 12 + n], "big") == zlib.crc32(kind + data)
        out.append((kind, data))
        i += 12 + n
    return out


def sample() -> bytes:
    return charts.revenue_chart([1, 2, 3], ["2026-01", "2026-02", "2026-03"], [1175.0, 2350.0, 3536.75],
                                [735.6, 1471.2, 2206.8], None)  # fmt: skip


def test_png_has_size_dpi_and_no_text_or_time_chunks() -> None:
    found = chunks(sample())
    kinds = [k for k, _ in found]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert set(kinds) == {b"IHDR", b"pHYs", b"IDAT", b"IEND"}
    ihdr = found[0][1]
    assert (int.from_bytes(ihdr[:4], "big"), int.from_bytes(ihdr[4:8], "big")) == (1200, 700)
    assert (ihdr[8], ihdr[9]) == (8, 2)  # 8 bits per sample, colour type 2: RGB (no alpha)
    phys = dict(found)[b"pHYs"]
    assert int.from_bytes(phys[:4], "big") == 3937  # 100 dpi in pixels per metre, unit byte 1
    assert phys[8] == 1


CHART_KINDS: dict[str, Callable[[], bytes]] = {
    "revenue": lambda: charts.revenue_chart(
        [1, 2, 3], ["2026-01", "2026-02", "2026-03"], [1.0e4, 2.0e4, None], [5.0e3, 6.0e3, 7.0e3],
        ([1.2e4, 2.0e4, 6.0e3], [1.5e4, 2.6e4, 7.0e3], [1.9e4, 3.1e4, None]),
    ),
    "cash": lambda: charts.cash_chart(
        [1, 2], ["a", "b"], [1.0, None], [2.0, 3.0], [3.0, 4.0], [2.5, -1.0], 100.0, "p10–p90"
    ),
    "bars_horizontal": lambda: charts.grouped_bars(
        "Public Tap — € per 1M tokens", ["A", "B"], [("x", [1.0, 2.0]), ("y", [None, 1.5])], "EUR", horizontal=True
    ),
    "bars_vertical": lambda: charts.grouped_bars(
        "t", ["A", "B", "C"], [("x", [1.0, 2.0, 0.5])], "EUR/h", horizontal=False
    ),
    "lines_symlog": lambda: charts.lines_chart(
        "t", [1, 2, 3], None, [("l", [1.0, 2.0, None])], [("c", 1.2, 2)], "ratio", vline=("horizon", 2.5), symlog=True
    ),
    "lines_money": lambda: charts.lines_chart(
        "Loan balance", [1, 2, 3], ["m1", "m2", "m3"], [("balance", [3.0e4, 2.0e4, 1.0e4])], [], "EUR", money=True
    ),
    "tornado": lambda: charts.tornado_chart("t", ["v1", "v2"], [-4100.0, -3900.0], [-3500.0, -3700.0], -3826.72),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CHART_KINDS))
def test_the_pixels_are_those_savefig_draws(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chart kind's RGB PNG holds exactly the pixels of matplotlib's own `savefig` PNG of the same drawing
    (RGBA, alpha 255 everywhere): DOMAIN OUT-10 names savefig, d3 encodes the canvas itself (specs/report.md)."""
    draws: list[Callable[[Figure, Axes], None]] = []
    monkeypatch.setattr(charts, "png_bytes", lambda draw: draws.append(draw) or b"")
    CHART_KINDS[kind]()
    monkeypatch.undo()
    (draw,) = draws
    with charts.chart_style():
        fig, ax = charts._figure()
        draw(fig, ax)
        left = ax.get_position().x0
        charts._fit_left_margin(fig, ax, fig.canvas.get_renderer())  # type: ignore[attr-defined]
        assert ax.get_position().x0 == left  # labels that fit keep the margin the chart set
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=charts.DPI, metadata={"Software": None})
    theirs = np.asarray(Image.open(buffer))
    ours = np.asarray(Image.open(io.BytesIO(charts.png_bytes(draw))))
    assert theirs.shape == (700, 1200, 4) and ours.shape == (700, 1200, 3)
    assert (theirs[..., 3] == 255).all()
    assert np.array_equal(ours, theirs[..., :3])


def test_y_labels_of_tens_of_millions_stay_inside_the_chart() -> None:
    """A fixed left margin of 10 % cut "-€ 17,500,000" at the chart's edge: the margin grows to keep the widest
    y label LEFT_PAD_PX from the edge (charts whose labels fit keep their pixels: the savefig comparison above)."""
    months = list(range(1, 25))
    mid = [-6.0e5 * m for m in months]
    png = charts.cash_chart(
        months, [f"m{m}" for m in months], [v * 1.2 for v in mid], mid, [v * 0.8 for v in mid], mid, None, "p10–p90"
    )
    pixels = np.asarray(Image.open(io.BytesIO(png)))
    inked = np.flatnonzero((pixels < 250).any(axis=(0, 2)))
    assert inked[0] >= charts.LEFT_PAD_PX - 1  # anti-aliasing may touch the pixel before the text box


def test_a_transparent_pixel_or_a_raster_that_is_not_rgba_is_refused() -> None:
    """An RGB PNG cannot show transparency: a figure whose face let it through is an error, not a silent loss."""
    raster = np.full((2, 3, 4), 255, dtype=np.uint8)
    assert charts.encode_png(raster)[:8] == SIGNATURE
    raster[1, 2, 3] = 254
    with pytest.raises(ValueError, match="transparent pixels"):
        charts.encode_png(raster)
    with pytest.raises(ValueError, match="height × width × 4 bytes"):
        charts.encode_png(np.full((2, 3, 3), 255, dtype=np.uint8))


def test_text_uses_the_font_file_bundled_with_matplotlib() -> None:
    """Never a system font: the private family resolves to mpl-data's DejaVuSans.ttf, whatever /usr/share has."""
    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    assert charts.resolved_font_path().resolve() == bundled.resolve()
    assert charts.STYLE["font.family"] == [charts.FONT_FAMILY]


def test_user_rcparams_change_nothing_and_come_back() -> None:
    reference = sample()
    with matplotlib.rc_context({"font.size": 31.0, "axes.facecolor": "red", "lines.linewidth": 9.0}):
        assert sample() == reference
        assert matplotlib.rcParams["axes.facecolor"] == "red"  # restored after drawing


def test_each_chart_kind_draws_a_valid_png() -> None:
    pngs = [
        charts.cash_chart([1, 2], ["a", "b"], [1.0, None], [2.0, 3.0], [3.0, 4.0], [2.5, -1.0], 100.0, "p10–p90"),
        charts.grouped_bars("t", ["A", "B"], [("x", [1.0, 2.0]), ("y", [None, 1.5])], "EUR", horizontal=True),
        charts.lines_chart("t", [1, 2, 3], None, [("l", [1.0, 2.0, None])], [("c", 1.2, 2)], "ratio", symlog=True),
        charts.tornado_chart("t", ["v1", "v2"], [-4100.0, -3900.0], [-3500.0, -3700.0], -3826.72),
    ]
    for png in pngs:
        assert set(k for k, _ in chunks(png)) == {b"IHDR", b"pHYs", b"IDAT", b"IEND"}


def test_tornado_keeps_room_for_the_labels_on_both_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bars' ends are inside the x-axis with a margin (a bar's end is a sticky edge that swallowed it), and
    each end's label points away from the bar ("low" left of a left end, "high" right of a right end)."""
    drawn: list[object] = []

    def capture(draw: object) -> bytes:
        with charts.chart_style():
            fig, ax = charts._figure()
            draw(fig, ax)  # type: ignore[operator]
            fig.canvas.draw()
            drawn.append(ax)
        return b""

    monkeypatch.setattr(charts, "png_bytes", capture)
    charts.tornado_chart("t", ["v1", "v2"], [-4100.0, -3790.0], [-3500.0, -3800.0], -3826.72)
    (ax,) = drawn
    left, right = ax.get_xlim()  # type: ignore[attr-defined]
    assert left < -4100.0 - 0.05 * 600 and right > -3500.0 + 0.05 * 600
    labels = {(t.get_text(), t.xy[0]): t.get_horizontalalignment() for t in ax.texts}  # type: ignore[attr-defined]
    assert labels == {
        ("low", -4100.0): "right",
        ("high", -3500.0): "left",
        ("low", -3790.0): "left",
        ("high", -3800.0): "right",
    }


RENDER = """
import hashlib, sys
from pathlib import Path
from d3_engine.report.render import render_report
folder = Path(sys.argv[1])
for path in render_report(folder):
    print(path.relative_to(folder).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest())
"""


@pytest.mark.e2e
def test_two_processes_render_byte_identical_reports(tmp_path: Path) -> None:
    """Charts, tables and both report files are the same bytes across processes (fresh font cache use,
    fresh matplotlib state), the promise `d3 report` and a second `d3 run` rely on."""
    digests = []
    for name in ("one", "two"):
        folder = copy_run(tmp_path / name)
        if not digests:  # before any rendering: the charts the cached run published
            published = {
                p.relative_to(folder).as_posix(): sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*.png")
            }
        proc = subprocess.run([sys.executable, "-c", RENDER, str(folder)], capture_output=True, text=True, check=True)
        digests.append(proc.stdout)
    assert digests[0] == digests[1]
    lines = digests[0].splitlines()
    assert any(line.startswith("charts/public_price_vs_cost.png ") for line in lines)
    assert len(lines) >= 20
    # the cached run was made in a test process (either worker), where run_d3 draws a chart once per data
    # (harness.chart_key): the charts it published are those a fresh process draws
    fresh = dict(line.split(" ") for line in lines)
    assert published and {name: fresh[name] for name in published} == published
