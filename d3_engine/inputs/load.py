"""Read an inputs folder: discover files safely, hash them, parse and schema-check each (IN-1…IN-4).

The result is a `Bundle` of typed documents and tables plus every finding. Domain rules that
span files live in `rules*.py`; this module only makes sure each file can be read and matches
its schema.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from d3_engine.core.errors import Findings
from d3_engine.inputs.overrides import SET_FILES, SetOverride, apply_set
from d3_engine.inputs.parse import CsvText, YamlDoc, YamlProblem, decode_utf8, parse_csv, parse_yaml
from d3_engine.inputs.schemas import CsvTable, did_you_mean, type_csv, type_yaml_rows, validate_yaml

YAML_FILES = {
    "simulation.yaml": "simulation",
    "operator/general.yaml": "general",
    "operator/public_tap.yaml": "public_tap",
    "operator/private_tap.yaml": "private_tap",
    "facts/market_env.yaml": "market_env",
    "facts/gpu_baselines.yaml": "gpu_baselines",
    "facts/tps_sources.yaml": "tps_sources",
}
TABLE_FILES = {
    "operator/curated_gpu": "curated_gpu",
    "operator/curated_public_tap_models": "curated_public_tap_models",
    "facts/insurances": "insurances",
    "facts/tps_model_gpu": "tps_model_gpu",
    "facts/ads_channels": "ads_channels",
    "facts/agency_fees": "agency_fees",
    "facts/market_api_prices": "market_api_prices",
}
VARIABLE_FILES = {
    "variables/general.csv": "general",
    "variables/public_tap.csv": "public_tap",
    "variables/private_tap.csv": "private_tap",
}
KNOWN_FILES = (
    set(YAML_FILES)
    | set(VARIABLE_FILES)
    | {f"{stem}.csv" for stem in TABLE_FILES}
    | {f"{stem}.yaml" for stem in TABLE_FILES}
)
ALWAYS_REQUIRED = ["simulation", "general", "curated_gpu", "market_env", "insurances"]
PIPELINE_REQUIRED = {"public": ["public_tap", "curated_public_tap_models"], "private": ["private_tap"]}


@dataclass(frozen=True)
class InputFile:
    """One file of the inputs tree with its hash (IN-2, OUT-1)."""

    rel: str
    sha256: str
    bytes: int


@dataclass
class Bundle:
    """Everything read from an inputs folder."""

    root: Path
    files: list[InputFile] = field(default_factory=list)
    docs: dict[str, YamlDoc] = field(default_factory=dict)
    tables: dict[str, CsvTable] = field(default_factory=dict)
    variables: dict[str, CsvTable] = field(default_factory=dict)
    shadowing: list[dict[str, str]] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    schema_ok: dict[str, bool] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)  # unsafe paths, already reported
    set_paths: dict[tuple[str, str], int] = field(default_factory=dict)  # (file, key path) → --set index [IN-20]
    sets: list[SetOverride] = field(default_factory=list)  # the --set overrides, in command-line order

    def data(self, name: str) -> Any:
        """Parsed value of a YAML document, or None when absent."""
        doc = self.docs.get(name)
        return doc.data if doc is not None else None

    def unreadable(self, name: str) -> bool:
        """Whether YAML document `name` is absent because of an ERROR already reported on its file (missing
        though required, not UTF-8, not parseable, an unsafe path).

        A condition over a value of such a document cannot be evaluated, so it is not reported ([IN-18]: every
        condition that can be checked is): a YAML syntax error in public_tap.yaml made 18 errors, 17 of them
        about values nobody could read. A key that is merely absent from a readable file is another matter: its
        conditions are evaluated (and reported) as usual.
        """
        rel = self.rel_of(name)
        return name not in self.docs and any(f.severity == "ERROR" and f.file == rel for f in self.findings.items)

    def rel_of(self, name: str) -> str:
        """Relative path of a dataset for messages."""
        for rel, dataset in YAML_FILES.items():
            if dataset == name:
                return rel
        if name in self.tables:
            return self.tables[name].rel
        for stem, dataset in TABLE_FILES.items():
            if dataset == name:
                return f"{stem}.csv"
        return name


def _ignored(name: str) -> bool:
    return name.startswith(".") or name.endswith(".md") or name.startswith("README")


def _unsafe(path: Path, rel: str, real_root: Path) -> tuple[str, str] | None:
    """(message, hint) when an entry of the inputs tree must not be read, else None."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8", "rename it using UTF-8 characters"
    if path.is_symlink():
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):  # a dangling link or a loop (RuntimeError on Python 3.11)
            return "the symbolic link is broken or loops", "replace the link by the file it should point to"
        if not target.is_relative_to(real_root):
            return (
                f"the symbolic link points outside the inputs folder (to {target})",
                "copy the file into the inputs folder instead of linking to it",
            )
        if target.is_dir():
            return "symbolic links to folders are not followed", "replace the link by a real folder"
        path = target
    if not path.is_dir() and not path.is_file():
        return "this is not a regular file (a device, pipe or socket)", "remove it from the inputs folder"
    return None


def discover(root: Path, findings: Findings) -> tuple[dict[str, Path], set[str]]:
    """(relative posix path → file, refused paths) for the tree under root.

    Dotfiles, `*.md` and `README*` are skipped silently (IN-1). A link that leaves the folder,
    loops or points at a folder, a non-UTF-8 name and anything but a regular file are refused
    with `unsafe_path`, so that d3 never reads outside `--inputs` (a choice of ours: DOMAIN is silent).
    """
    found: dict[str, Path] = {}
    refused: set[str] = set()
    real_root = root.resolve()
    for directory, subdirs, names in os.walk(root, followlinks=False):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
        for entry in [*subdirs, *sorted(n for n in names if not _ignored(n))]:
            path = Path(directory) / entry
            rel = path.relative_to(root).as_posix()
            problem = _unsafe(path, rel, real_root)
            if problem is not None:
                shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
                findings.error("unsafe_path", shown, "", *problem)
                refused.add(shown)
                if entry in subdirs:
                    subdirs.remove(entry)
                continue
            if entry in subdirs and rel in KNOWN_FILES:  # V12-10: a folder cannot stand in for the file
                findings.error(
                    "missing_file",
                    rel,
                    "",
                    f"{rel} is a folder, not a file, so d3 cannot read it",
                    f"replace the folder {rel}/ by the file {rel} (`d3 init DIR` writes every file), or remove it",
                )
                refused.add(rel)
                subdirs.remove(entry)
                continue
            if entry not in subdirs:
                found[rel] = path
    return found, refused


def _read(path: Path, rel: str, bundle: Bundle) -> bytes | None:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        bundle.findings.error(
            "missing_file",
            rel,
            "",
            f"cannot read the file: {exc.strerror}",
            "check that the file exists and is readable",
        )
        return None
    bundle.files.append(InputFile(rel=rel, sha256=hashlib.sha256(raw).hexdigest(), bytes=len(raw)))
    return raw


def _load_yaml(rel: str, raw: bytes, bundle: Bundle) -> YamlDoc | None:
    text = decode_utf8(rel, raw, bundle.findings)
    if text is None:
        return None
    try:
        doc = parse_yaml(rel, text)
    except YamlProblem as problem:
        bundle.findings.error(
            "parse_error",
            rel,
            f"line {problem.line}",
            f"YAML cannot be read: {problem.message}",
            "fix the YAML syntax (indentation with spaces, colons, quotes) and remove duplicate keys",
        )
        return None
    if doc.data is None:
        bundle.findings.error(
            "parse_error",
            rel,
            "line 1",
            "the file is empty (no YAML content)",
            "write the file's keys (see `d3 schema` and the shipped inputs/) or delete the file if it is optional",
        )
        return None
    return doc


def _load_csv(rel: str, raw: bytes, bundle: Bundle) -> CsvText | None:
    text = decode_utf8(rel, raw, bundle.findings)
    return None if text is None else parse_csv(rel, text, bundle.findings)


def load_bundle(root: Path, sets: list[SetOverride] | None = None) -> Bundle:
    """Read, hash, parse and schema-check every file under `root`; `--set` overrides are applied to the
    parsed YAML before its schema check ([IN-20])."""
    bundle = Bundle(root=root, sets=list(sets or []))
    if not root.is_dir():
        bundle.findings.error(
            "missing_file",
            str(root),
            "",
            "the inputs folder is not a folder" if root.exists() else "the inputs folder does not exist",
            "pass --inputs with the folder that holds simulation.yaml",
        )
        return bundle
    tree, bundle.refused = discover(root, bundle.findings)
    raws: dict[str, bytes] = {}
    for rel, path in tree.items():
        raw = _read(path, rel, bundle)
        if raw is None:
            continue
        raws[rel] = raw  # parsed from the very bytes that were hashed
        if rel not in KNOWN_FILES:
            bundle.findings.warning(
                "unknown_input_file",
                rel,
                "",
                f"this file is not part of the d3 input layout{did_you_mean(rel, sorted(KNOWN_FILES))}",
                "remove or rename it (`d3 init DIR` writes the files d3 reads); *.md, README* and dotfiles are ignored",
            )
        elif rel in YAML_FILES:
            doc = _load_yaml(rel, raw, bundle)
            if doc is not None:
                name = YAML_FILES[rel]
                bundle.docs[name] = doc
                _apply_sets(bundle, name, doc)
                bundle.schema_ok[name] = validate_yaml(name, doc, bundle.findings)
        elif rel in VARIABLE_FILES:
            text = _load_csv(rel, raw, bundle)
            table = type_csv("variables", text, bundle.findings) if text else None
            if table is not None:
                bundle.variables[VARIABLE_FILES[rel]] = table
    _load_tables(raws, bundle)
    bundle.files.sort(key=lambda f: f.rel.encode("utf-8"))
    return bundle


def _apply_sets(bundle: Bundle, name: str, doc: YamlDoc) -> None:
    """Write the overrides of one file into its parsed document, in command-line order ([IN-20])."""
    for override in bundle.sets:
        if override.file == name and isinstance(doc.data, dict):
            apply_set(doc, override, bundle.findings)
            bundle.set_paths[(name, override.key)] = override.index


def check_sets_reached(bundle: Bundle) -> None:
    """ERROR `set_syntax` for an override of a file the inputs do not have (nothing to change)."""
    for override in bundle.sets:
        if override.file not in bundle.docs and SET_FILES[override.file] not in bundle.refused:
            bundle.findings.error(
                "set_syntax",
                "command line",
                override.where,
                f"{override.name}: {SET_FILES[override.file]} is not in the inputs, so --set cannot change it",
                f"add {SET_FILES[override.file]} to the inputs folder or drop this --set",
            )


def _load_tables(raws: dict[str, bytes], bundle: Bundle) -> None:
    """Tabular datasets: CSV beats YAML (IN-4)."""
    for stem, name in TABLE_FILES.items():
        csv_rel, yaml_rel = f"{stem}.csv", f"{stem}.yaml"
        if csv_rel in raws and yaml_rel in raws:
            bundle.findings.warning(
                "shadowed_dataset",
                yaml_rel,
                "",
                f"{csv_rel} and {yaml_rel} both exist; the CSV is used and the YAML ignored",
                "delete the file you do not mean to use",
            )
            bundle.shadowing.append({"dataset": stem, "used": csv_rel, "ignored": yaml_rel})
        table: CsvTable | None = None
        if csv_rel in raws:
            text = _load_csv(csv_rel, raws[csv_rel], bundle)
            table = type_csv(name, text, bundle.findings) if text else None
        elif yaml_rel in raws:
            doc = _load_yaml(yaml_rel, raws[yaml_rel], bundle)
            table = type_yaml_rows(name, doc, bundle.findings) if doc else None
        if table is not None:
            bundle.tables[name] = table


def check_required(bundle: Bundle, pipelines: list[str]) -> None:
    """Report every required file of IN-1 that is absent for the selected pipelines."""
    if not bundle.root.is_dir():
        return  # the missing folder itself is reported; listing every file would only repeat it
    needed = [(name, "always") for name in ALWAYS_REQUIRED]
    for pipeline in pipelines:
        needed += [(name, f"when the {pipeline} pipeline runs") for name in PIPELINE_REQUIRED.get(pipeline, [])]
    rels = {f.rel for f in bundle.files}
    for name, when in needed:
        if name in bundle.docs or name in bundle.tables:
            continue
        rel = bundle.rel_of(name)
        if {rel, rel.replace(".csv", ".yaml")} & (rels | bundle.refused):
            continue  # present but unreadable: its parse error is already reported
        bundle.findings.error(
            "missing_file",
            rel,
            "",
            f"required file {rel} is missing from {bundle.root} (it is required {when})",
            f"create {rel}: `d3 init DIR` writes a complete inputs folder to copy it from, `d3 schema` lists its keys",
        )
