"""report.html in a real browser [OUT-10]: it renders offline, with no console error, no network request
and every chart visible.

Headless Chromium (Debian's `chromium` package; CI installs it) is driven over the Chrome DevTools
protocol on a pipe (`--remote-debugging-pipe`: commands on fd 3, replies on fd 4, NUL-separated JSON),
with the standard library only. The page is the report of the golden fixture plus the worked example's
finance tables, so all eight charts are on it. Each chart is screenshotted where it sits on the page and
must not be blank. Without /usr/bin/chromium the test is skipped and says why.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from test_report_fixture import add_sensitivity_rows, finance_copy

from d3_engine.report.render import render_report

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
]
TIMEOUT_S = 60.0

pytestmark = [
    pytest.mark.e2e,  # a real browser process
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed (apt-get install -y chromium; CI installs it)"
    ),
]


class Browser:
    """A headless Chromium and a minimal CDP client on its debugging pipe."""

    def __init__(self, profile: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_fds() -> None:  # in the child: fd 3 = commands in, fd 4 = replies out
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        self.proc = subprocess.Popen(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4),
            preexec_fn=wire_fds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, until_id: int | None, deadline: float) -> dict[str, Any] | None:
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message = json.loads(raw)
                if until_id is not None and message.get("id") == until_id:
                    return message
                if "method" in message:
                    self.events.append(message)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if until_id is None:
                    return None
                raise TimeoutError(f"no CDP reply to command {until_id}")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise EOFError("chromium closed the debugging pipe")
                self._buffer += chunk

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode("utf-8") + b"\0")
        reply = self._read(self._next_id, time.monotonic() + TIMEOUT_S)
        assert reply is not None and "error" not in reply, reply
        return reply["result"]

    def wait_for(self, method: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not any(e["method"] == method for e in self.events):
            if self._read(None, min(deadline, time.monotonic() + 0.2)) is None and time.monotonic() > deadline:
                raise TimeoutError(f"no {method}")

    def settle(self, seconds: float) -> None:
        """Collect late events (a lazy request, a console message) for a moment."""
        self._read(None, time.monotonic() + seconds)

    def close(self) -> None:
        try:
            self.call("Browser.close")
            self.proc.wait(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            os.close(self._to_browser)
            os.close(self._from_browser)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = finance_copy(tmp_path_factory.mktemp("browser") / "run")
    con = duckdb.connect(str(folder / "run.duckdb"))
    try:
        add_sensitivity_rows(con)
    finally:
        con.close()
    render_report(folder)
    return folder / "report.html"


IMAGES_JS = """JSON.stringify([...document.images].map(i => {
  const r = i.getBoundingClientRect(), s = getComputedStyle(i);
  return {id: i.id, complete: i.complete, w: i.naturalWidth, h: i.naturalHeight, x: r.left + scrollX,
          y: r.top + scrollY, cw: r.width, ch: r.height, visible: s.visibility === 'visible' && s.display !== 'none'};
}))"""
PAGE_JS = """JSON.stringify({title: document.title, scripts: document.scripts.length,
  h2: document.querySelectorAll('h2').length, height: Math.ceil(document.documentElement.scrollHeight)})"""


def evaluate(browser: Browser, session: str, expression: str) -> Any:
    result = browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    return json.loads(result["result"]["value"])


def not_blank(png: bytes) -> bool:
    """More than 2 % of pixels differ from the most common colour, in more than 8 distinct colours."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    background = max(colours)[0] if colours else 0
    total = image.width * image.height
    return len(colours) > 8 and (total - background) > 0.02 * total


def test_report_renders_offline_without_errors_and_shows_every_chart(report: Path, tmp_path: Path) -> None:
    charts = sorted(p.stem for p in (report.parent / "charts").glob("*.png"))
    assert len(charts) == 8
    url = report.resolve().as_uri()
    browser = Browser(tmp_path / "profile")
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})
        session = browser.call("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.call(f"{domain}.enable", session=session)
        metrics = {"width": 1300, "height": 900, "deviceScaleFactor": 1, "mobile": False}
        browser.call("Emulation.setDeviceMetricsOverride", metrics, session)
        browser.call("Page.navigate", {"url": url}, session)
        browser.wait_for("Page.loadEventFired")
        browser.settle(1.0)
        page = evaluate(browser, session, PAGE_JS)
        # A viewport as tall as the page: page and viewport coordinates coincide, so each clip is exact.
        browser.call("Emulation.setDeviceMetricsOverride", {**metrics, "height": page["height"]}, session)
        browser.settle(0.5)
        images = evaluate(browser, session, IMAGES_JS)
        shots = {}
        for image in images:
            clip = {"x": image["x"], "y": image["y"], "width": image["cw"], "height": image["ch"], "scale": 1}
            shot = browser.call("Page.captureScreenshot", {"format": "png", "clip": clip}, session)
            shots[image["id"]] = base64.b64decode(shot["data"])
    finally:
        browser.close()
    events = [e for e in browser.events if e.get("sessionId") == session]
    errors = [
        e["params"]
        for e in events
        if e["method"] == "Runtime.exceptionThrown"
        or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert"))
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert errors == []
    requests = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    assert url in requests  # the page itself was loaded …
    assert [r for r in requests if r != url and not r.startswith("data:")] == []  # … and nothing else fetched
    assert (page["title"], page["scripts"], page["h2"]) == ("d3 financial plan", 0, 16)  # contents + 15 sections
    assert sorted(i["id"] for i in images) == [f"chart-{c}" for c in charts]
    for image in images:
        assert image["complete"] and (image["w"], image["h"]) == (1200, 700), image
        assert image["visible"] and image["cw"] > 600 and image["ch"] > 300, image
        assert not_blank(shots[image["id"]]), f"{image['id']} is blank on screen"
