"""The facts of a run every report section needs, read once from run.duckdb ([OUT-10]).

Which pipelines ran is read from the tables the run built (a tap's models run only when its
pipeline runs, [OUT-3]); the representative path and its parameter set from `representative_path`
([FIN-12]); the calendar from `params_general`, whose `calendar.*` keys no variable can target
([IN-15]), so every parameter set has the same start month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from d3_engine.report.format import month_label
from d3_engine.report.tables import Db


@dataclass
class RunInfo:
    """Run-wide facts shared by the section builders."""

    db: Db
    percentiles: list[int]
    rep_path_id: int
    rep_set: int
    horizon: int
    start_year: int
    start_month: int
    grid: int
    replicates: int
    mc: int
    settings: dict[str, Any]
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        """The public pipeline ran (its models built `public_price`)."""
        return self.db.has("public_price")

    @property
    def private(self) -> bool:
        """The private pipeline ran (its models built `private_economics`)."""
        return self.db.has("private_economics")

    @property
    def pipelines(self) -> list[str]:
        """Pipelines that ran, public first."""
        return [p for p, ran in (("public", self.public), ("private", self.private)) if ran]

    @property
    def paths(self) -> int:
        """N = G·R·M [GEN-2]."""
        return self.grid * self.replicates * self.mc

    @property
    def months(self) -> list[int]:
        """Plan months 1..H."""
        return list(range(1, self.horizon + 1))

    def period(self, month: int) -> str:
        """Calendar label of plan month `month` [GEN-2]."""
        return month_label(self.start_year, self.start_month, month)

    @property
    def periods(self) -> dict[int, str]:
        """Plan month → calendar label."""
        return {m: self.period(m) for m in self.months}

    def band_labels(self) -> tuple[str, str, str]:
        """Lowest, median and highest configured series (p10, p50, p90 with the shipped percentiles)."""
        return f"p{self.percentiles[0]}", "p50", f"p{self.percentiles[-1]}"


def load_run_info(db: Db) -> RunInfo:
    """Read the run-wide facts; `run_meta` (key, value) is optional and only adds text."""
    percentiles = [int(r["p"]) for r in db.rows("SELECT p FROM input_percentiles ORDER BY p")]
    rep = db.rows("SELECT path_id, param_set_id FROM representative_path")[0]
    settings = db.rows("SELECT * FROM run_settings")[0]
    general = db.rows(
        f"""SELECT start_year, start_month, (SELECT count(DISTINCT grid_index) FROM params_general) AS grid
            FROM params_general WHERE param_set_id = {int(rep["param_set_id"])}"""
    )[0]
    meta: dict[str, str] = {}
    if db.has("run_meta"):
        meta = {str(r["key"]): str(r["value"]) for r in db.rows("SELECT key, value FROM run_meta ORDER BY key")}
    return RunInfo(
        db=db,
        percentiles=percentiles,
        rep_path_id=int(rep["path_id"]),
        rep_set=int(rep["param_set_id"]),
        horizon=int(settings["horizon_months"]),
        start_year=int(general["start_year"]),
        start_month=int(general["start_month"]),
        grid=int(general["grid"]),
        replicates=int(settings["random_runs_per_simulation"]),
        mc=int(settings["simulations_per_run"]),
        settings=settings,
        meta=meta,
    )
