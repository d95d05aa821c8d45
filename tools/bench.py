"""`make bench`: wall time, peak RSS and paths per second of `d3 run` (a benchmark, not a test).

Runs the shipped inputs, then larger plans made from a copy of them with more replicates and MC
iterations (36 months), each in a fresh process so peak RSS is the run's own.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLANS = [("shipped", None, None, None), ("10k paths, 36 months", 400, 25, 36), ("100k paths, 36 months", 4000, 25, 36)]


def _plan_inputs(tmp: Path, replicates: int, mc: int, horizon: int) -> Path:
    folder = tmp / f"inputs-{replicates}x{mc}"
    shutil.copytree(ROOT / "inputs", folder)
    sim = folder / "simulation.yaml"
    text = sim.read_text(encoding="utf-8")
    text = re.sub(r"random_runs_per_simulation: \d+", f"random_runs_per_simulation: {replicates}", text)
    text = re.sub(r"simulations_per_run: \d+", f"simulations_per_run: {mc}", text)
    text = re.sub(r"horizon_months: \d+", f"horizon_months: {horizon}", text)
    text = re.sub(r"max_paths: \d+", "max_paths: 1000000", text)
    sim.write_text(text, encoding="utf-8")
    return folder


def _paths(inputs: Path) -> int:
    text = (inputs / "simulation.yaml").read_text(encoding="utf-8")
    r = int(re.search(r"random_runs_per_simulation: (\d+)", text).group(1))  # type: ignore[union-attr]
    m = int(re.search(r"simulations_per_run: (\d+)", text).group(1))  # type: ignore[union-attr]
    return r * m


def main() -> int:
    d3 = Path(sys.executable).parent / "d3"
    with tempfile.TemporaryDirectory(prefix="d3-bench-") as name:
        tmp = Path(name)
        print(f"{'plan':<24} {'paths':>8} {'exit':>4} {'wall s':>8} {'peak RSS MiB':>13} {'paths/s':>9}")
        for label, replicates, mc, horizon in PLANS:
            inputs = ROOT / "inputs" if replicates is None else _plan_inputs(tmp, replicates, mc, horizon)  # type: ignore[arg-type]
            out = tmp / f"out-{label[:3]}"
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            proc = subprocess.run(
                [str(d3), "run", "--inputs", str(inputs), "--out", str(out), "--quiet"],
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.perf_counter() - start
            peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
            paths = _paths(inputs)
            print(f"{label:<24} {paths:>8} {proc.returncode:>4} {wall:>8.1f} {peak:>13.0f} {paths / wall:>9.0f}")
            if proc.returncode not in (0, 4):
                print(proc.stderr[-2000:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
