"""Packaging layout beside pyproject.toml (ARCHITECTURE §3a).

`sql/`, `specs/schemas/` and the shipped `inputs/` stay where the repository keeps them; `d3_engine/resources/`
holds one link to each, so an editable install reads the repository folders and `pip install .` copies their
files into the wheel as package data of d3_engine. The engine finds them through importlib.resources
(d3_engine/core/files.py), never through paths relative to the source tree.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["d3_engine", "d3_engine.*"]),
    package_data={
        "d3_engine": [
            "resources/sql/**/*.sql",
            "resources/schemas/*.json",
            "resources/inputs/**/*.yaml",
            "resources/inputs/**/*.csv",
            "resources/inputs/**/*.md",
        ],
        "d3_engine.report": ["templates/*.j2"],
    },
)
