"""`make bench`: wall time, peak RSS and path-months per second of `d3 run`, against issue 13's targets.

A benchmark, not a test. Each plan runs in a fresh process (peak RSS is the run's own) with
`--max-concurrency 2`:
- `make run`: the shipped inputs as they are (5 000 paths × 60 months plus the stress tests), ≤ 30 s;
- 100k: the shipped inputs at 4 000 replicates × 25 MC = 100 000 paths, horizon 36, no stress tests,
  ≤ 60 s and ≤ 4 GiB, run folder < 1 GB;
- 1M: 40 000 × 25 = 1 000 000 paths, horizon 36, no stress tests, ≤ 10 min and ≤ 4 GiB.

`python tools/bench.py [make-run] [100k] [1M] [10k]` runs the named plans only (default: the first three).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024**3


@dataclass(frozen=True)
class Plan:
    label: str
    replicates: int | None  # None: the shipped inputs untouched
    horizon: int
    max_wall_s: float
    max_rss_gib: float | None = None
    max_folder_gb: float | None = None


PLANS = {
    "make-run": Plan("make run (shipped, 5k x 60 + stresses)", None, 60, 30),
    "10k": Plan("10k paths x 36", 400, 36, 60, 4),
    "100k": Plan("100k paths x 36", 4000, 36, 60, 4, 1.0),
    "1M": Plan("1M paths x 36", 40000, 36, 600, 4),
}
DEFAULT = ["make-run", "100k", "1M"]


def _plan_inputs(tmp: Path, plan: Plan) -> Path:
    """A copy of the shipped inputs with R replicates × 25 MC, the horizon set and no stress tests."""
    folder = tmp / f"inputs-{plan.replicates}"
    shutil.copytree(ROOT / "inputs", folder)
    sim = folder / "simulation.yaml"
    text = sim.read_text(encoding="utf-8")
    text = re.sub(r"random_runs_per_simulation: \d+", f"random_runs_per_simulation: {plan.replicates}", text)
    text = re.sub(r"simulations_per_run: \d+", "simulations_per_run: 25", text)
    text = re.sub(r"horizon_months: \d+", f"horizon_months: {plan.horizon}", text)
    text = re.sub(r"max_paths: \d+", "max_paths: 1000000", text)
    text = text.split("\nstress_tests:")[0] + "\n"  # "without the stress tests"
    sim.write_text(text, encoding="utf-8")
    return folder


def _paths(inputs: Path) -> tuple[int, int]:
    text = (inputs / "simulation.yaml").read_text(encoding="utf-8")
    r = int(re.search(r"random_runs_per_simulation: (\d+)", text).group(1))  # type: ignore[union-attr]
    m = int(re.search(r"simulations_per_run: (\d+)", text).group(1))  # type: ignore[union-attr]
    h = int(re.search(r"horizon_months: (\d+)", text).group(1))  # type: ignore[union-attr]
    return r * m, h


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _verdict(plan: Plan, wall: float, rss_gib: float, folder_gb: float) -> str:
    misses = []
    if wall > plan.max_wall_s:
        misses.append(f"wall > {plan.max_wall_s:g} s")
    if plan.max_rss_gib is not None and rss_gib > plan.max_rss_gib:
        misses.append(f"RSS > {plan.max_rss_gib:g} GiB")
    if plan.max_folder_gb is not None and folder_gb > plan.max_folder_gb:
        misses.append(f"folder > {plan.max_folder_gb:g} GB")
    return "met" if not misses else "MISSED: " + ", ".join(misses)


def main(argv: list[str]) -> int:
    d3 = Path(sys.executable).parent / "d3"
    chosen = argv or DEFAULT
    unknown = [c for c in chosen if c not in PLANS]
    if unknown:
        print(f"unknown plan(s) {unknown}; choose from {list(PLANS)}", file=sys.stderr)
        return 2
    print(f"{'plan':<40} {'paths':>8} {'exit':>4} {'wall s':>7} {'RSS GiB':>7} {'folder GB':>9} {'pm/s':>8}  target")
    with tempfile.TemporaryDirectory(prefix="d3-bench-") as name:
        tmp = Path(name)
        for key in chosen:
            plan = PLANS[key]
            inputs = ROOT / "inputs" if plan.replicates is None else _plan_inputs(tmp, plan)
            out = tmp / f"out-{key}"
            start = time.perf_counter()
            command = [str(d3), "run", "--inputs", str(inputs), "--out", str(out), "--quiet", "--max-concurrency", "2"]
            proc = subprocess.run(
                ["/usr/bin/time", "-f", "%M", *command],
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - start
            rss_gib = int(proc.stderr.strip().splitlines()[-1]) * 1024 / GIB
            paths, horizon = _paths(inputs)
            latest = out / "latest"
            folder_gb = _folder_bytes(latest.resolve()) / 1e9 if latest.exists() else 0.0
            verdict = _verdict(plan, wall, rss_gib, folder_gb)
            print(
                f"{plan.label:<40} {paths:>8} {proc.returncode:>4} {wall:>7.1f} {rss_gib:>7.2f} {folder_gb:>9.2f} "
                f"{paths * horizon / wall:>8.0f}  {verdict}",
                flush=True,
            )
            if proc.returncode not in (0, 4):
                print(proc.stderr[-2000:])
            shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
