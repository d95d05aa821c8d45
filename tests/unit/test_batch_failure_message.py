"""A model that fails inside a batch is reported with its own message while other batches are appended
(pipeline/databases.Databases.close_batch detaches a batch's database through its own connection)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from harness import BUNDLES, run_d3

import d3_engine.pipeline.batches as batches
import d3_engine.pipeline.run as run_module
from d3_engine.core.errors import RuntimeFailure

pytestmark = pytest.mark.e2e


def test_a_failing_batch_reports_its_own_error_while_others_are_appended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One-path batches on three workers, the fifth batch's `paths` model fails: the run exits 3 with that
    model's message, never DuckDB's "connection is busy" (the failing worker used to detach its database through
    the connection the main thread was appending on: 31 of 40 such runs hid the message)."""
    current = threading.local()
    compute, build = batches._compute_batch, batches.build_model

    def computing(dbs, models, variables, batch, slot, rep):  # type: ignore[no-untyped-def]
        current.start = batch.start
        return compute(dbs, models, variables, batch, slot, rep)

    def building(cursor, model, variables, *args, **kwargs):  # type: ignore[no-untyped-def]
        if getattr(current, "start", None) == 4 and model.name == "paths":
            raise RuntimeFailure("the injected failure of batch 4")
        return build(cursor, model, variables, *args, **kwargs)

    monkeypatch.setattr(run_module, "_cores", lambda: 3)  # three workers, whatever the machine
    monkeypatch.setattr(batches, "_compute_batch", computing)
    monkeypatch.setattr(batches, "build_model", building)
    for attempt in range(4):
        outcome = run_d3(
            "run", "--inputs", BUNDLES["inputs"], "--out", tmp_path / f"out{attempt}", "--quiet",
            "--set", "simulation.run.random_runs_per_simulation=2",
            "--set", "simulation.stochastic.simulations_per_run=5",
            "--set", "simulation.targets.horizon_months=13", "--set", "simulation.stress_tests=null",
            "--paths-per-batch", "1", "--max-concurrency", "3",
        )  # fmt: skip
        assert outcome.exit_code == 3, outcome.stderr
        assert "the injected failure of batch 4" in outcome.stderr, outcome.stderr
        assert "busy" not in outcome.stderr and "unexpected" not in outcome.stderr, outcome.stderr
