"""The run report: report.md, report.html, charts/*.png and report_tables/*.csv from run.duckdb ([OUT-10]).

`render_report(run_dir, con=None)` is the one entry point: `d3 run` calls it with its open connection
inside the staging folder (before run_summary and SHA256SUMS, so both list the report files), and
`d3 report` calls `rerender(run_dir)`, which opens run.duckdb read-only, renders the same bytes and
rewrites SHA256SUMS with the same writer (byte-identical when nothing changed). The report reads
nothing but run.duckdb and writes nothing into it. report.html is self-contained: inline CSS, charts
as base64 PNG data URIs, no JavaScript, nothing fetched from anywhere.
"""

from __future__ import annotations

import base64
import shutil
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine import ENGINE_VERSION
from d3_engine.core.errors import UsageError
from d3_engine.core.files import templates_dir
from d3_engine.core.formats import SUMS_NAME, write_sha256sums
from d3_engine.report.analysis import acceptance_section, sensitivity_section
from d3_engine.report.annual import annual_section
from d3_engine.report.context import RunInfo, load_run_info
from d3_engine.report.demand import demand_section
from d3_engine.report.finance import loan_section, statements_section, vat_section
from d3_engine.report.format import plural
from d3_engine.report.inputs import appendix_section, inputs_section
from d3_engine.report.summary import summary_section
from d3_engine.report.tables import Chart, Db, ReportTable, Section
from d3_engine.report.taps import private_section, public_section
from d3_engine.report.verdict import verdict_section
from d3_engine.report.whatif import market_section, sweep_section

if TYPE_CHECKING:
    import duckdb

TEMPLATES = templates_dir()
REPORT_FILES = ("report.md", "report.html")
CHARTS_DIR = "charts"
TABLES_DIR = "report_tables"


def build_sections(info: RunInfo) -> list[Section]:
    """The verdict page and the annual statements of [OUT-14], then the sections of [OUT-10] in order."""
    return [
        verdict_section(info),
        annual_section(info),
        summary_section(info),
        inputs_section(info),
        public_section(info),
        private_section(info),
        demand_section(info),
        statements_section(info),
        loan_section(info),
        vat_section(info),
        acceptance_section(info),
        sensitivity_section(info),
        sweep_section(info),
        market_section(info),
        appendix_section(info),
    ]


def render_report(run_dir: Path, con: duckdb.DuckDBPyConnection | None = None) -> list[Path]:
    """Render the report of the run in `run_dir` from its run.duckdb (or from the open `con`).

    Returns:
        The written files, sorted by their path relative to run_dir (byte order).
    """
    if con is not None:
        return _render(run_dir, con)
    import duckdb

    own = duckdb.connect(str(run_dir / "run.duckdb"), read_only=True)
    try:
        return _render(run_dir, own)
    finally:
        own.close()


def _render(run_dir: Path, con: duckdb.DuckDBPyConnection) -> list[Path]:
    info = load_run_info(Db(con))
    sections = build_sections(info)
    _clear(run_dir)
    written: list[Path] = []
    charts, tables = run_dir / CHARTS_DIR, run_dir / TABLES_DIR
    charts.mkdir(exist_ok=True)
    tables.mkdir(exist_ok=True)
    for block in (b for s in sections for b in s.blocks):
        if isinstance(block, Chart):
            path = charts / f"{block.name}.png"
            path.write_bytes(block.png)
            written.append(path)
        elif isinstance(block, ReportTable):
            written.append(block.write_csv(tables))
    context = _context(info, sections)
    for name in REPORT_FILES:
        text = _environment(name).get_template(f"{name}.j2").render(**context)
        path = run_dir / name
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return sorted(written, key=lambda p: p.relative_to(run_dir).as_posix().encode("utf-8"))


def _clear(run_dir: Path) -> None:
    """Remove an earlier rendering, so a re-render leaves no chart or table that no longer applies."""
    for folder in (CHARTS_DIR, TABLES_DIR):
        shutil.rmtree(run_dir / folder, ignore_errors=True)
    for name in REPORT_FILES:
        (run_dir / name).unlink(missing_ok=True)


@cache
def _environment(name: str) -> Any:
    """The Jinja environment of one report file, built once per process: it keeps its compiled template (an
    edited template file is compiled again, Jinja checks its time stamp), so a process that renders many runs
    compiles each template once."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=name.endswith(".html"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _context(info: RunInfo, sections: list[Section]) -> dict[str, Any]:
    subtitle = [
        f"{info.horizon} months from {info.period(1)}",
        plural(info.paths, "simulated path"),
        f"pipelines: {', '.join(info.pipelines) or 'none'}",
    ]
    if "seed" in info.meta:
        subtitle.append(f"seed {info.meta['seed']}")
    if "run_id" in info.meta:
        subtitle.insert(0, f"run {info.meta['run_id']}")
    return {
        "title": "d3 financial plan",
        "subtitle": " · ".join(subtitle),
        "engine_version": ENGINE_VERSION,
        "sections": sections,
        "b64": lambda data: base64.b64encode(data).decode("ascii"),
        "md_cell": _md_cell,
        "no_break": lambda text: str(text).replace("€ ", "€\u00a0"),
        "charts_dir": CHARTS_DIR,
    }


def _md_cell(text: str) -> str:
    """A Markdown table cell: pipes escaped, line breaks flattened."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def rerender(run_dir: Path) -> list[Path]:
    """`d3 report --run DIR`: render again from DIR/run.duckdb and rewrite DIR/SHA256SUMS ([OUT-8]).

    Raises:
        UsageError: DIR has no run.duckdb (exit 2).
    """
    folder = run_dir.resolve()
    if not (folder / "run.duckdb").is_file():
        raise UsageError(
            f"{run_dir} holds no run.duckdb, so there is nothing to render. "
            "To fix this, pass --run <out>/<run_id> (or <out>/latest) of a finished `d3 run`"
        )
    written = render_report(folder)
    if (folder / SUMS_NAME).exists():
        write_sha256sums(folder)
    return written
