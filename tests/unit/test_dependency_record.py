"""run_summary.dependencies records every runtime dependency [RNG-7] (specs/engine.md): each one can change the
bytes of an artefact (pillow writes the charts' PNGs, pyarrow carries values), so each version is on record."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from d3_engine.export.run_summary import LOCKED, dependency_versions

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_every_runtime_dependency_is_recorded_with_its_pinned_version() -> None:
    pinned = {}
    for requirement in tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]:
        name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)", requirement).groups()  # type: ignore[union-attr]
        pinned[name.lower()] = version
    assert sorted(LOCKED) == sorted(pinned)
    assert dependency_versions() == {name: pinned[name] for name in LOCKED}
