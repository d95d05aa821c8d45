"""report.html printed on A4 in headless Chromium [OUT-14]: no table clipped, no page overflowing, the verdict
page first.

The report is that of a real run of the golden fixture (every model of v1.2, so the verdict page, the breach chart
and the annual statements are on it). Under print media emulation, at the printable width of an A4 page (210 mm −
2 × 10 mm margins = 190 mm = 718 CSS px), every table must fit its box (scrollWidth ≤ clientWidth of its
container) and the document must not be wider than the page. Then `Page.printToPDF` with the page's own
`@page { size: A4 }` must give A4 pages, at least one per section (each section starts a page) and not absurdly
many. Without /usr/bin/chromium the test is skipped and says why.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_report_browser import CHROMIUM, Browser
from test_report_fixture import copy_run

A4_PRINTABLE_PX = round(190 / 25.4 * 96)  # 718: A4 width minus the 10 mm margins of the stylesheet
A4_PAGE_HEIGHT_PX = round(273 / 25.4 * 96)  # 1032: A4 height minus the 12 mm margins
A4_POINTS = (595.0, 842.0)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium; CI installs it)"
)

LAYOUT_JS = """JSON.stringify({
  doc: {scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth},
  sections: document.querySelectorAll('section').length,
  tables: [...document.querySelectorAll('table')].map(t => {
    const box = t.parentElement;
    return {title: (box.previousElementSibling || {}).textContent || '', table: Math.ceil(t.scrollWidth),
            box: box.clientWidth, boxScroll: box.scrollWidth, overflow: getComputedStyle(box).overflowX};
  }),
  verdict: (() => { const s = document.querySelector('section#verdict');
    if (!s) return null;
    const img = s.querySelector('img#chart-breach_probability');
    return {first: document.querySelector('section') === s,
            chartBottom: img ? img.getBoundingClientRect().bottom + scrollY : null,
            text: s.querySelector('p').textContent};
  })()
})"""


@pytest.fixture(scope="module")
def real_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = copy_run(tmp_path_factory.mktemp("print") / "run")
    return folder / "report.html"


def _layout_and_pdf(report: Path, profile: Path) -> tuple[dict[str, Any], bytes]:
    browser = Browser(profile)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})
        session = browser.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        browser.call("Page.enable", session=session)
        metrics = {"width": A4_PRINTABLE_PX, "height": A4_PAGE_HEIGHT_PX, "deviceScaleFactor": 1, "mobile": False}
        browser.call("Emulation.setDeviceMetricsOverride", metrics, session)
        browser.call("Emulation.setEmulatedMedia", {"media": "print"}, session)
        browser.call("Page.navigate", {"url": report.resolve().as_uri()}, session)
        browser.wait_for("Page.loadEventFired")
        browser.settle(0.5)
        result = browser.call("Runtime.evaluate", {"expression": LAYOUT_JS, "returnByValue": True}, session)
        layout = json.loads(result["result"]["value"])
        pdf = browser.call("Page.printToPDF", {"preferCSSPageSize": True, "printBackground": False}, session)
    finally:
        browser.close()
    return layout, base64.b64decode(pdf["data"])


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page object of a PDF (Chromium writes page dictionaries uncompressed)."""
    sizes = []
    for match in re.finditer(rb"/Type\s*/Page(?![s\w])(.{0,400}?)/MediaBox\s*\[([^\]]+)\]", pdf, re.S):
        x0, y0, x1, y1 = (float(v) for v in match.group(2).split())
        sizes.append((x1 - x0, y1 - y0))
    if not sizes:  # MediaBox may come before /Type in the dictionary
        for match in re.finditer(rb"/MediaBox\s*\[([^\]]+)\]", pdf):
            x0, y0, x1, y1 = (float(v) for v in match.group(1).split())
            sizes.append((x1 - x0, y1 - y0))
    return sizes


def test_report_prints_on_a4_without_clipping(real_report: Path, tmp_path: Path) -> None:
    layout, pdf = _layout_and_pdf(real_report, tmp_path / "profile")
    assert layout["doc"]["scroll"] <= layout["doc"]["client"], f"the page is wider than A4: {layout['doc']}"
    clipped = [
        t
        for t in layout["tables"]
        if t["table"] > t["box"] + 1 or t["boxScroll"] > t["box"] + 1 or t["overflow"] == "auto"
    ]
    assert clipped == [], f"tables cut off or scrolling on A4: {clipped}"
    assert len(layout["tables"]) > 20
    verdict = layout["verdict"]
    assert verdict is not None and verdict["first"], "the verdict is not the first section"
    assert verdict["text"].startswith("Verdict: ")
    assert "paths (" in verdict["text"]
    assert verdict["chartBottom"] is not None and verdict["chartBottom"] <= A4_PAGE_HEIGHT_PX, (
        "the breach chart does not fit on the first page",
        verdict,
    )
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf)
    assert pages, "no page found in the PDF"
    for width, height in pages:
        assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2, (width, height)
    # each section starts a page (the first shares page 1 with the title); a report of 3 months is short
    assert layout["sections"] <= len(pages) <= 4 * layout["sections"], (len(pages), layout["sections"])
