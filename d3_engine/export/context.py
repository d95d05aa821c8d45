"""What the stages after the models share: the connection, the run folder and the run's facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from d3_engine.plan.validate import Validated

if TYPE_CHECKING:
    import duckdb


@dataclass
class RunContext:
    """Handed to every exporter and summary contributor."""

    con: duckdb.DuckDBPyConnection
    run_dir: Path
    validated: Validated
    summary_extra: dict[str, Any] = field(default_factory=dict)

    @property
    def percentiles(self) -> list[int]:
        return [int(p) for p in self.validated.simulation["stochastic"]["percentiles"]]

    @property
    def rep_path_id(self) -> int:
        return int(self.con.execute("SELECT path_id FROM representative_path").fetchall()[0][0])

    def runs(self, pipeline: str) -> bool:
        return pipeline in self.validated.pipelines
