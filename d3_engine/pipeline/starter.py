"""`d3 init DIR`: a starter inputs folder, a copy of the shipped bundle a user edits (DOMAIN §10, CLI-1)."""

from __future__ import annotations

import shutil
from pathlib import Path

from d3_engine.core.errors import RuntimeFailure, UsageError
from d3_engine.core.files import shipped_inputs_dir

START_HERE = "START_HERE.md"

START_HERE_TEXT = """\
# Your d3 inputs: what to edit first

This folder is a copy of the inputs shipped with d3 (README.md describes every file). It is valid as it is:
`d3 validate --inputs {folder}` exits 0. Change it one file at a time and validate after each change.

1. `operator/general.yaml`: your company. Fixed costs per month, equity, the loan (amount, rate, term,
   grace months, repayment type), VAT and tax, working capital.
2. `operator/curated_gpu.csv`: the GPU offers you can rent (provider, GPU, USD per hour, availability).
3. `operator/public_tap.yaml` and `operator/curated_public_tap_models.csv`: the Public Tap's pricing policy,
   credits, acquisition budget and the open models you serve.
4. `operator/private_tap.yaml`: the Private Tap's markup, management fee, vendor weights and acquisition.
5. `simulation.yaml`: horizon, number of paths, seed and the acceptance targets.
6. `variables/*.csv`: which keys are fixed, on a grid or random.

`facts/` holds market context (exchange rate, throughput measurements, insurance prices): update it when you
have better data, not to steer the plan.

Then: `d3 run --inputs {folder} --out outputs` and read `outputs/latest/report.md`.
`d3 schema --out .schemas` writes the JSON Schemas of every file for your editor.
"""


def init_inputs(target: Path) -> list[Path]:
    """Write a copy of the shipped inputs and START_HERE.md into `target` (absent or empty); returns the files.

    A non-empty target is refused with a UsageError (exit 2) and left untouched.
    """
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} is a file. To fix this, name a new folder, e.g. d3 init my-inputs")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(
            f"{target} is not empty; d3 init never overwrites files. "
            "To fix this, name a new or empty folder, e.g. d3 init my-inputs"
        )
    try:
        shutil.copytree(shipped_inputs_dir(), target, dirs_exist_ok=True)
        (target / START_HERE).write_text(START_HERE_TEXT.format(folder=target), encoding="utf-8")
    except OSError as exc:
        raise RuntimeFailure(
            f"cannot write {target}: {exc.strerror or exc}. To fix this, choose a folder you can write to"
        ) from exc
    return sorted(p for p in target.rglob("*") if p.is_file())
