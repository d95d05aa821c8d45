"""Where the engine finds its own files: schemas, SQL models, report templates and the shipped inputs.

They are package data of d3_engine, found through importlib.resources and never through paths relative to the
source tree (ARCHITECTURE §3a). In the repository `sql/`, `specs/schemas/` and `inputs/` stay where they are and
`d3_engine/resources/` holds one link to each: an editable install reads the repository folders through the
links, and `pip install .` copies their files into the wheel (setup.py). d3 is installed as files (a wheel or
an editable install, never a zip), so every resource is a real folder on disk.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(package: str, *parts: str) -> Path:
    """A data folder of an installed package, as a path on disk."""
    resource = files(package).joinpath(*parts)
    path = Path(str(resource))
    if not path.is_dir():
        raise FileNotFoundError(f"d3 is installed without its data folder {package}/{'/'.join(parts)}")
    return path


def schemas_dir() -> Path:
    """The versioned JSON Schemas of the input files (`specs/schemas` in the repository)."""
    return _folder("d3_engine", "resources", "schemas")


def sql_dir() -> Path:
    """The SQL of the engine (`sql/` in the repository), holding models/, checks/ and macros/."""
    return _folder("d3_engine", "resources", "sql")


def templates_dir() -> Path:
    """The Jinja templates of report.md and report.html."""
    return _folder("d3_engine.report", "templates")


def shipped_inputs_dir() -> Path:
    """The shipped default input bundle (`inputs/` in the repository)."""
    return _folder("d3_engine", "resources", "inputs")
