"""Charts of the report as reproducible PNG bytes ([OUT-10], [RNG-7]).

Every chart is 1200×700 px at 100 dpi, drawn by matplotlib's Agg canvas (no pyplot, no GUI, no global
figure registry) under a fixed style built from `matplotlib.rcParamsDefault`, so a user's matplotlibrc
or style never leaks in. Text uses the DejaVu Sans file bundled with matplotlib, registered under a
private family name: a system font of the same name (Debian ships one) can therefore never be picked.
PNGs are RGB (the figures are opaque) and carry no text chunk and no timestamp, so the bytes depend only on
the data and the pinned matplotlib and Pillow versions. Functions take plain lists and return bytes; `None`
in a series is a gap.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt

from d3_engine.report.format import eur

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH_IN, HEIGHT_IN, DPI = 12.0, 7.0, 100
FONT_FAMILY = "d3 DejaVu Sans"
"""Private family name of matplotlib's bundled DejaVuSans.ttf (never resolves to a system font)."""

COLORS = ("#1f5f99", "#e07b24", "#3a9a5b", "#c23b3b", "#7a5aa6", "#8c6d31", "#d16ba5", "#5f6b73")
MARKERS = ("o", "s", "^", "D")
LINESTYLES = ("-", "--", "-.", ":")
STYLE: dict[str, Any] = {
    "font.family": [FONT_FAMILY],
    "font.size": 12.0,
    "axes.titlesize": 15.0,
    "axes.labelsize": 12.0,
    "axes.grid": True,
    "grid.alpha": 0.35,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 11.0,
    "text.parse_math": False,  # `$` in a label is text; mathtext would look fonts up by family name
    "svg.hashsalt": "d3",
    "path.simplify": False,
    "figure.dpi": DPI,
    # d3 writes its PNGs itself (encode_png); these keep a savefig under this style (the tests compare with one)
    # drawing exactly the same pixels
    "savefig.dpi": DPI,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
}


def bundled_font() -> Path:
    """matplotlib's own DejaVuSans.ttf."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _register_font() -> None:
    """Add the bundled font under FONT_FAMILY once (what `FontManager.addfont` does, renamed)."""
    from matplotlib import font_manager, ft2font

    manager = font_manager.fontManager
    if any(entry.name == FONT_FAMILY for entry in manager.ttflist):
        return
    entry = font_manager.ttfFontProperty(ft2font.FT2Font(str(bundled_font())))
    manager.ttflist.append(dataclasses.replace(entry, name=FONT_FAMILY))
    manager._findfont_cached.cache_clear()  # type: ignore[attr-defined]


@contextmanager
def chart_style() -> Iterator[None]:
    """matplotlib defaults + STYLE for the duration of the block; the caller's rcParams come back after."""
    import matplotlib

    _register_font()
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        for key, value in STYLE.items():
            matplotlib.rcParams[key] = value  # type: ignore[index]
        yield


def resolved_font_path() -> Path:
    """The file matplotlib uses for chart text under `chart_style` (tests prove it is the bundled one)."""
    from matplotlib import font_manager

    with chart_style():
        found = font_manager.findfont(font_manager.FontProperties(family=[FONT_FAMILY]), fallback_to_default=False)
    return Path(found)


def _figure() -> tuple[Figure, Axes]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    fig.subplots_adjust(left=0.1, right=0.97, top=0.84, bottom=0.16)
    return fig, ax


def png_bytes(draw: Callable[[Figure, Axes], None]) -> bytes:
    """Draw on a fresh 1200×700 figure under the fixed style and return the PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with chart_style():
        fig, ax = _figure()
        draw(fig, ax)
        canvas = cast(FigureCanvasAgg, fig.canvas)  # the canvas `_figure` attached
        _fit_left_margin(fig, ax, canvas.get_renderer())
        canvas.draw()  # what savefig would draw: the same dpi, and STYLE's figure and savefig faces are both white
        pixels = np.asarray(canvas.buffer_rgba())
    return encode_png(pixels)


#: The room kept between the left edge of a chart and its y-axis labels, in pixels.
LEFT_PAD_PX = 8.0


def _fit_left_margin(fig: Figure, ax: Axes, renderer: Any) -> None:
    """Widen the left margin when the y-axis labels would come closer than LEFT_PAD_PX to the chart's edge (cash
    of tens of millions, "-€ 14,000,000", is wider than the fixed margin): the labels are never cut off. A chart
    whose labels fit keeps its margin and its pixels. The labels' layout is the one the draw then reuses."""
    box = ax.yaxis.get_tightbbox(renderer)  # the ticks, their labels and the axis label, in pixels
    if box is None or box.x0 >= LEFT_PAD_PX:
        return
    position = ax.get_position()
    fig.subplots_adjust(left=position.x0 + (LEFT_PAD_PX - box.x0) / fig.bbox.width)


def encode_png(rgba: npt.NDArray[np.uint8]) -> bytes:
    """An opaque height × width × RGBA raster as an RGB PNG: IHDR, pHYs (DPI), IDAT, IEND; no text or time chunk.

    savefig would write the same pixels as RGBA, whose alpha is 255 everywhere on an opaque figure: a quarter of
    the raw bytes deflated for nothing. RGB gives ~11 % smaller files and ~18 % less encoding time (measured on
    grid_001's ten charts against matplotlib's `imsave`, which savefig calls).
    """
    from PIL import Image

    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4:
        raise ValueError(f"a chart raster must be height × width × 4 bytes (RGBA), not {rgba.dtype} {rgba.shape}")
    if rgba[..., 3].min() != 255:
        raise ValueError("a chart has transparent pixels: its figure face must be opaque")
    height, width = rgba.shape[:2]
    image = Image.frombuffer("RGBA", (width, height), np.ascontiguousarray(rgba), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", dpi=(DPI, DPI))
    return buffer.getvalue()


def _title(fig: Figure, title: str) -> None:
    fig.suptitle(title, y=0.965, fontsize=STYLE["axes.titlesize"])


def _legend(ax: Axes) -> None:
    """Legend in one band between title and plot, so it never hides data."""
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=4, borderaxespad=0.0)


def _nan(values: Sequence[float | None]) -> list[float]:
    return [float("nan") if v is None else float(v) for v in values]


def _eur_axis(ax: Axes, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda v, _pos: eur(round(v), 0))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)


def _month_ticks(ax: Axes, months: Sequence[int], labels: Sequence[str]) -> None:
    step = max(1, (len(months) + 23) // 24)
    ax.set_xticks(list(months)[::step], list(labels)[::step], rotation=45, ha="right")


def revenue_chart(
    months: list[int],
    labels: list[str],
    public: list[float | None],
    private: list[float | None],
    band: tuple[list[float | None], list[float | None], list[float | None]] | None,
) -> bytes:
    """revenue_by_month: rep revenue stacked by tap; total p10–p90 band and p50 when finance ran."""

    def draw(fig: Figure, ax: Axes) -> None:
        pub = [0.0 if v is None else v for v in public]
        prv = [0.0 if v is None else v for v in private]
        ax.bar(months, pub, color=COLORS[0], label="Public Tap (rep)")
        ax.bar(months, prv, bottom=pub, color=COLORS[1], label="Private Tap (rep)")
        if band is not None:
            low, mid, high = band
            ax.fill_between(months, _nan(low), _nan(high), color=COLORS[4], alpha=0.18, label="total p10–p90")
            ax.plot(months, _nan(mid), color=COLORS[4], linestyle="--", label="total p50")
        _title(fig, "Revenue by month")
        _eur_axis(ax)
        _month_ticks(ax, months, labels)
        _legend(ax)

    return png_bytes(draw)


def cash_chart(
    months: list[int],
    labels: list[str],
    low: list[float | None],
    mid: list[float | None],
    high: list[float | None],
    rep: list[float | None],
    floor: float | None,
    band_label: str,
) -> bytes:
    """cash_by_month: closing cash, p10–p90 band, p50 and the representative path; zero/floor line."""

    def draw(fig: Figure, ax: Axes) -> None:
        ax.fill_between(months, _nan(low), _nan(high), color=COLORS[0], alpha=0.2, label=band_label)
        ax.plot(months, _nan(mid), color=COLORS[0], linestyle="--", label="p50")
        ax.plot(months, _nan(rep), color=COLORS[3], linewidth=2.5, marker="o", label="representative path")
        ax.axhline(0.0, color="black", linewidth=1.0)
        if floor is not None and floor != 0.0:
            ax.axhline(floor, color=COLORS[5], linestyle=":", label=f"cash floor {eur(floor)}")
        _title(fig, "Cash at the end of each month")
        _eur_axis(ax)
        _month_ticks(ax, months, labels)
        _legend(ax)

    return png_bytes(draw)


def grouped_bars(
    title: str, categories: list[str], groups: list[tuple[str, list[float | None]]], unit: str, horizontal: bool
) -> bytes:
    """Bars per category, one bar per group (public_price_vs_cost, private_gpu_economics)."""

    def draw(fig: Figure, ax: Axes) -> None:
        n = max(1, len(groups))
        width = 0.8 / n
        positions = list(range(len(categories)))
        for i, (label, vals) in enumerate(groups):
            offs = [p - 0.4 + width * (i + 0.5) for p in positions]
            heights = [0.0 if v is None else v for v in vals]
            if horizontal:
                ax.barh(offs, heights, height=width, color=COLORS[i % len(COLORS)], label=label)
            else:
                ax.bar(offs, heights, width=width, color=COLORS[i % len(COLORS)], label=label)
        if horizontal:
            ax.set_yticks(positions, categories)
            ax.invert_yaxis()  # first category (byte order, [GEN-6]) at the top
            ax.set_xlabel(unit)
            fig.subplots_adjust(left=0.26)
        else:
            ax.set_xticks(positions, categories)
            ax.set_ylabel(unit)
        _title(fig, title)
        _legend(ax)

    return png_bytes(draw)


def lines_chart(
    title: str,
    x: list[int],
    xlabels: list[str] | None,
    lines: list[tuple[str, list[float | None]]],
    hlines: list[tuple[str, float, int | None]],
    ylabel: str,
    vline: tuple[str, float] | None = None,
    money: bool = False,
    symlog: bool = False,
) -> bytes:
    """Step-free lines over months (instances_by_model, loan_balance, dscr_by_month).

    `hlines` are (label, y, first month or None) reference lines, e.g. the covenant from its test month.
    """

    def draw(fig: Figure, ax: Axes) -> None:
        for i, (label, ys) in enumerate(lines):
            marker = MARKERS[i % len(MARKERS)] if len(x) <= 36 else None
            style = LINESTYLES[i % len(LINESTYLES)]
            ax.plot(x, _nan(ys), color=COLORS[i % len(COLORS)], marker=marker, linestyle=style, label=label)
        for j, (label, y, start) in enumerate(hlines):
            xs = [start if start is not None else x[0], x[-1]] if x else [0, 1]
            ax.plot(xs, [y, y], color=COLORS[(len(lines) + j) % len(COLORS)], linestyle="--", label=label)
        if vline is not None:
            ax.axvline(vline[1], color="grey", linestyle=":", label=vline[0])
        _title(fig, title)
        ax.set_ylabel(ylabel)
        if symlog:  # a ceiling far above the values would flatten them against the axis
            from matplotlib.ticker import FuncFormatter

            ax.set_yscale("symlog", linthresh=1.0)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))  # no mathtext labels
        if money:
            _eur_axis(ax)
        if xlabels is not None:
            _month_ticks(ax, x, xlabels)
        _legend(ax)

    return png_bytes(draw)


def tornado_chart(title: str, names: list[str], low: list[float], high: list[float], centre: float | None) -> bytes:
    """tornado: per variable a bar from the KPI mean of its low quartile to that of its high quartile,
    widest swing at the top ([FIN-13])."""

    def draw(fig: Figure, ax: Axes) -> None:
        positions = list(range(len(names)))
        lefts = [min(lo, hi) for lo, hi in zip(low, high, strict=True)]
        widths = [abs(hi - lo) for lo, hi in zip(low, high, strict=True)]
        colors = [COLORS[2] if hi >= lo else COLORS[3] for lo, hi in zip(low, high, strict=True)]
        ax.barh(positions, widths, left=lefts, color=colors)
        for p, lo, hi in zip(positions, low, high, strict=True):
            ax.plot([lo], [p], marker="|", color="black", markersize=18)
            # each label sits outside its end of the bar, so the two never overlap on a short bar
            for text, x, outward in (("low", lo, lo < hi), ("high", hi, hi < lo)):
                ha, dx = ("right", -3) if outward else ("left", 3)
                ax.annotate(text, (x, p), textcoords="offset points", xytext=(dx, 12), ha=ha, fontsize=9)
        if centre is not None:
            ax.axvline(centre, color="black", linestyle="--", label=f"median {eur(centre)}")
            _legend(ax)
        ax.set_yticks(positions, names)
        ax.use_sticky_edges = False  # a bar's end is sticky: without this the margin is lost on the bars' side
        ax.margins(x=0.08, y=0.1)  # room for the low/high labels at the bar ends
        ax.invert_yaxis()
        _title(fig, title)
        _eur_axis(ax, "x")
        fig.subplots_adjust(left=0.24)

    return png_bytes(draw)
