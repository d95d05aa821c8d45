"""Where the engine finds its own files: schemas, SQL models and the shipped inputs.

d3 is installed in editable mode from its repository, so these folders sit beside the package.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def schemas_dir() -> Path:
    """`specs/schemas`, the versioned JSON Schemas of the input files."""
    return PROJECT_ROOT / "specs" / "schemas"


def sql_dir() -> Path:
    """`sql/`, holding models/, checks/ and macros/."""
    return PROJECT_ROOT / "sql"


def shipped_inputs_dir() -> Path:
    """The shipped default `inputs/` bundle."""
    return PROJECT_ROOT / "inputs"
