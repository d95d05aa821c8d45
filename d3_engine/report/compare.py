"""`d3 compare RUN_A RUN_B`: what differs between two published runs and what it does to the answer ([OUT-16]).

Both runs are read from their own files only: the inputs from each run.duckdb's `input_*` tables (YAML
documents as key paths, tables row by row by source line), the seed, pipelines and `--set` list from
run_summary.json, and the metrics of grid_kpis.csv from `whatif_kpis` (scenario 0, one grid point,
`--grid-index`, default 0), side by side with the differences of p50 and p90. Runs are named by run_id only.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from d3_engine.core.errors import UsageError

SUMMARY_KEYS = ("seed", "pipelines", "fail_on_warning", "horizon_months", "engine_version")
RUN_FILES = ("run_summary.json", "run.duckdb", "SHA256SUMS")


def _open_run(folder: Path) -> tuple[dict[str, Any], Any]:
    """(run_summary, read-only connection) of a published run; UsageError (exit 2) otherwise."""
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise UsageError(
            f"{folder} is not a published d3 run (missing {', '.join(missing)}). "
            "To fix this, pass two run folders <out>/<run_id> written by `d3 run`"
        )
    import duckdb

    summary = json.loads((folder / "run_summary.json").read_text(encoding="utf-8"))
    return summary, duckdb.connect(str(folder / "run.duckdb"), read_only=True)


def _tables(con: Any) -> list[str]:
    return [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()]


def _input_cells(con: Any) -> dict[tuple[str, str], str]:
    """(table, key or row) → value text of every input table of a run."""
    cells: dict[tuple[str, str], str] = {}
    for table in _tables(con):
        if not table.startswith("input_"):
            continue
        columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        if columns == ["key_path", "value"]:
            for key, value in con.execute(f"SELECT key_path, value FROM {table}").fetchall():
                cells[(table, key)] = "" if value is None else str(value)
        elif "source_line" in columns:
            for row in con.execute(f"SELECT * FROM {table} ORDER BY source_line").fetchall():
                record = dict(zip(columns, row, strict=True))
                line = record.pop("source_line")
                text = ", ".join(f"{k}={'' if v is None else v}" for k, v in record.items())
                cells[(table, f"line {line}")] = text
    return cells


def _metrics(con: Any, grid_index: int) -> dict[str, tuple[str, list[Decimal | None]]]:
    if "whatif_kpis" not in _tables(con):
        return {}
    rows = con.execute(
        "SELECT metric, unit, p10, p50, p90 FROM whatif_kpis WHERE scenario = 0 AND grid_index = ? "
        "ORDER BY metric_order",
        [grid_index],
    ).fetchall()
    return {m: (unit, [None if v is None else Decimal(v) for v in values]) for m, unit, *values in rows}


def _diff(a: Decimal | None, b: Decimal | None) -> Decimal | None:
    return None if a is None or b is None else b - a


def compare_runs(run_a: Path, run_b: Path, grid_index: int = 0) -> dict[str, Any]:
    """The comparison as one mapping: runs, differing inputs, cli_overrides and metrics side by side."""
    (summary_a, con_a), (summary_b, con_b) = _open_run(run_a), _open_run(run_b)
    try:
        cells_a, cells_b = _input_cells(con_a), _input_cells(con_b)
        metrics_a, metrics_b = _metrics(con_a, grid_index), _metrics(con_b, grid_index)
    finally:
        con_a.close()
        con_b.close()
    inputs = [
        {"table": table, "key": key, "a": cells_a.get((table, key)), "b": cells_b.get((table, key))}
        for table, key in sorted(set(cells_a) | set(cells_b))
        if cells_a.get((table, key)) != cells_b.get((table, key))
    ]
    settings = [
        {"table": "run_summary", "key": key, "a": json.dumps(summary_a.get(key)), "b": json.dumps(summary_b.get(key))}
        for key in SUMMARY_KEYS
        if summary_a.get(key) != summary_b.get(key)
    ]
    metrics = []
    for metric, (unit, values_a) in metrics_a.items():
        values_b = metrics_b.get(metric, (unit, [None, None, None]))[1]
        metrics.append(
            {
                "metric": metric,
                "unit": unit,
                "a": dict(zip(("p10", "p50", "p90"), values_a, strict=True)),
                "b": dict(zip(("p10", "p50", "p90"), values_b, strict=True)),
                "p50_diff": _diff(values_a[1], values_b[1]),
                "p90_diff": _diff(values_a[2], values_b[2]),
            }
        )
    return {
        "run_a": summary_a.get("run_id"),
        "run_b": summary_b.get("run_id"),
        "grid_index": grid_index,
        "inputs_differ": settings + inputs,
        "cli_overrides": {"a": summary_a.get("cli_overrides", []), "b": summary_b.get("cli_overrides", [])},
        "metrics": metrics,
    }


def _number(value: Decimal | None, metric: str, unit: str) -> str:
    from d3_engine.core.formats import format_number
    from d3_engine.export.whatif import places_for_metric

    return format_number(value, places_for_metric(metric, unit)) if value is not None else "–"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def compare_markdown(result: dict[str, Any]) -> str:
    """The comparison as Markdown: inputs that differ, each run's --set list, metrics side by side."""
    lines = [f"# d3 compare {result['run_a']} (A) → {result['run_b']} (B)", ""]
    lines += ["## Inputs that differ", ""]
    if result["inputs_differ"]:
        lines += ["| where | key or row | A | B |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(d['table'])} | {_cell(d['key'])} | {_cell(d['a'] if d['a'] is not None else '(absent)')} | "
            f"{_cell(d['b'] if d['b'] is not None else '(absent)')} |"
            for d in result["inputs_differ"]
        ]
    else:
        lines.append("No input differs.")
    lines += ["", "## Command-line overrides (--set)", ""]
    for side in ("a", "b"):
        sets = result["cli_overrides"][side]
        text = "; ".join(f"{k}={v}" for k, v in sets) if sets else "none"
        lines.append(f"- {side.upper()}: {text}")
    lines += ["", f"## Metrics (grid point {result['grid_index']})", ""]
    lines += ["| metric | unit | A p10 | A p50 | A p90 | B p10 | B p50 | B p90 | Δ p50 | Δ p90 |"]
    lines += ["|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in result["metrics"]:
        metric, unit = m["metric"], m["unit"]
        cells = [_number(m[s][p], metric, unit) for s in ("a", "b") for p in ("p10", "p50", "p90")]
        cells += [_number(m["p50_diff"], metric, unit), _number(m["p90_diff"], metric, unit)]
        lines.append(f"| {metric} | {unit} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["compare_markdown", "compare_runs"]
