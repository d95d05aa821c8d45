"""d3_engine.inputs.load: discovering, hashing and parsing an inputs folder [IN-1, IN-2, IN-4, OUT-1]."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from d3_engine.inputs.load import check_required, load_bundle

FIXTURE_FILES = [
    "facts/insurances.csv",
    "facts/market_env.yaml",
    "facts/tps_model_gpu.csv",
    "operator/curated_gpu.csv",
    "operator/curated_public_tap_models.csv",
    "operator/general.yaml",
    "operator/private_tap.yaml",
    "operator/public_tap.yaml",
    "simulation.yaml",
    "variables/public_tap.csv",
]


def _codes(bundle: Any) -> list[tuple[str, str]]:
    return [(f.code, f.file) for f in bundle.findings.items]


def test_fixture_files_are_hashed_in_byte_order(minimal: Any) -> None:
    """[IN-2]: every input file's SHA-256 and size; [OUT-1]: relative posix paths in UTF-8 byte order."""
    bundle = load_bundle(minimal.root)
    assert not bundle.findings.items
    assert [f.rel for f in bundle.files] == FIXTURE_FILES
    gpu = next(f for f in bundle.files if f.rel == "operator/curated_gpu.csv")
    raw = minimal.path("operator/curated_gpu.csv").read_bytes()
    assert (gpu.sha256, gpu.bytes) == (hashlib.sha256(raw).hexdigest(), len(raw))
    assert set(bundle.docs) == {"simulation", "general", "public_tap", "private_tap", "market_env"}
    assert set(bundle.tables) == {"curated_gpu", "curated_public_tap_models", "insurances", "tps_model_gpu"}


def test_docs_readmes_and_dotfiles_are_ignored_silently_other_files_warn(minimal: Any) -> None:
    """[IN-1]: `*.md`, `README*` and dotfiles are ignored; any other file is `unknown_input_file`."""
    for rel in ("README", "notes.md", "operator/README.txt", ".git/config", "facts/.cache.csv"):
        minimal.write(rel, "x\n")
    minimal.write("operator/curated_gpus.csv", "x\n")
    bundle = load_bundle(minimal.root)
    assert _codes(bundle) == [("unknown_input_file", "operator/curated_gpus.csv")]
    assert "did you mean 'operator/curated_gpu.csv'" in bundle.findings.items[0].message
    # unknown files are part of the run identity, ignored ones are not [OUT-1]
    assert "operator/curated_gpus.csv" in [f.rel for f in bundle.files]
    assert len(bundle.files) == len(FIXTURE_FILES) + 1


def test_csv_beats_yaml_and_both_are_hashed(minimal: Any) -> None:
    """[IN-4]: with X.csv and X.yaml both present the CSV is used, the YAML ignored and named."""
    minimal.write("facts/insurances.yaml", "- insurer_id: other\n  example_premium_eur_per_month: 1\n")
    bundle = load_bundle(minimal.root)
    assert _codes(bundle) == [("shadowed_dataset", "facts/insurances.yaml")]
    assert bundle.shadowing == [
        {"dataset": "facts/insurances", "used": "facts/insurances.csv", "ignored": "facts/insurances.yaml"}
    ]
    assert [r.values["insurer_id"] for r in bundle.tables["insurances"].rows] == ["ins_a"]
    assert "facts/insurances.yaml" in [f.rel for f in bundle.files]


def test_a_tabular_dataset_may_be_yaml(minimal: Any) -> None:
    minimal.remove("facts/insurances.csv")
    minimal.write("facts/insurances.yaml", "- insurer_id: ins_a\n  example_premium_eur_per_month: 20.00\n")
    bundle = load_bundle(minimal.root)
    assert not bundle.findings.items
    assert bundle.tables["insurances"].rel == "facts/insurances.yaml"
    assert bundle.tables["insurances"].rows[0].values == {"insurer_id": "ins_a", "example_premium_eur_per_month": 20.0}


def test_links_inside_the_folder_are_read_links_outside_are_refused(minimal: Any, tmp_path: Path) -> None:
    """Our choice where DOMAIN is silent: d3 never reads outside --inputs (`unsafe_path`)."""
    inside = minimal.path("facts/real_insurances.txt")
    minimal.path("facts/insurances.csv").rename(inside)
    minimal.path("facts/insurances.csv").symlink_to("real_insurances.txt")
    outside = tmp_path / "secret.yaml"
    outside.write_text("a: 1\n", encoding="utf-8")
    minimal.path("facts/gpu_baselines.yaml").symlink_to(outside)
    minimal.path("facts/folder_link").symlink_to(minimal.path("operator"))
    os.mkfifo(minimal.path("facts/pipe.csv"))
    bundle = load_bundle(minimal.root)
    assert sorted(_codes(bundle)) == [
        ("unknown_input_file", "facts/real_insurances.txt"),
        ("unsafe_path", "facts/folder_link"),
        ("unsafe_path", "facts/gpu_baselines.yaml"),
        ("unsafe_path", "facts/pipe.csv"),
    ]
    assert bundle.tables["insurances"].rows[0].values["insurer_id"] == "ins_a"
    assert "gpu_baselines" not in bundle.docs


def test_required_files_depend_on_the_pipelines(minimal: Any) -> None:
    """[IN-1]: public_tap.yaml and the model catalogue are required only when `public` runs."""
    minimal.remove("operator/public_tap.yaml")
    minimal.remove("operator/curated_public_tap_models.csv")
    bundle = load_bundle(minimal.root)
    check_required(bundle, ["private"])
    assert not bundle.findings.items
    check_required(bundle, ["public", "private"])
    assert _codes(bundle) == [
        ("missing_file", "operator/public_tap.yaml"),
        ("missing_file", "operator/curated_public_tap_models.csv"),
    ]
    assert "required when the public pipeline runs" in bundle.findings.items[0].message


def test_an_unreadable_required_file_is_reported_once(minimal: Any) -> None:
    minimal.write("operator/general.yaml", "a: [\n")
    bundle = load_bundle(minimal.root)
    check_required(bundle, ["public", "private"])
    assert _codes(bundle) == [("parse_error", "operator/general.yaml")]


def test_a_missing_inputs_folder_is_one_finding(tmp_path: Path) -> None:
    bundle = load_bundle(tmp_path / "nowhere")
    check_required(bundle, ["public", "private"])
    assert [(f.code, f.message) for f in bundle.findings.items] == [
        ("missing_file", "the inputs folder does not exist")
    ]
