"""The dataset manifest and ``verify_dataset`` against the shared reference copies (../shared/datasets)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from fortress.catalog import get_spec
from fortress.datasets.checksums import combined_sha256, folder_listing, folder_sha256, sha256_file
from fortress.datasets.manifest import DATASET_NAMES, MANIFESTS, FileFormat, dataset_manifest
from fortress.datasets.real.tasks import datasets_needed, real_dataset_for
from fortress.datasets.verify import ProblemKind, file_shape, require_file, verify_dataset
from fortress.errors import DatasetError, NotFound


def copy_file(shared: Path, dataset: str, path: str, root: Path) -> Path:
    """Copy one shared file into a writable datasets folder under ``root``."""
    dest = root / dataset / path
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared / dataset / path, dest)
    return dest


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] = ord("7") if data[offset] != ord("7") else ord("8")
    path.write_bytes(bytes(data))


def test_manifest_covers_every_real_dataset_a_model_names() -> None:
    assert set(DATASET_NAMES) == {
        "nsl-kdd", "cicids2017-sampled", "dga", "phishing-urls", "clamp", "twitter-bots", "spamassassin",
        "top-sites",
    }  # fmt: skip
    for name, manifest in MANIFESTS.items():
        assert manifest.entries, name
        for entry in manifest.entries:
            assert len(entry.sha256) == 64, entry.path
            assert min(entry.size, entry.rows) > 0, entry.path
            assert entry.source.startswith(("http://", "https://")), entry.path
    for model in ("threat_classifier", "bot_detector", "network_analyzer", "phishing_url", "dga_detector",
                  "malware_classifier", "message_scam", "writing_style"):  # fmt: skip
        assert real_dataset_for(model) == get_spec(model).data
        assert all(d in MANIFESTS for d in datasets_needed(model))
    assert real_dataset_for("image_analyzer") is None


def test_unknown_dataset_is_not_found() -> None:
    with pytest.raises(NotFound, match="unknown dataset 'nope'"):
        dataset_manifest("nope")


def test_folder_checksum_is_sha256sum_of_the_sorted_listing(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_bytes(b"second")
    (tmp_path / "a.txt").write_bytes(b"first")
    (tmp_path / "sub").mkdir()
    expected = "".join(
        f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in [("a.txt", b"first"), ("b.txt", b"second")]
    )
    assert folder_listing(tmp_path) == expected
    assert folder_sha256(tmp_path) == hashlib.sha256(expected.encode()).hexdigest()
    assert combined_sha256([("y", "2" * 64), ("x", "1" * 64)]) == combined_sha256(
        [("x", "1" * 64), ("y", "2" * 64)]
    )


@pytest.mark.parametrize("name", DATASET_NAMES)
def test_shared_copies_verify(name: str, shared_datasets: Path) -> None:
    status = verify_dataset(shared_datasets, name)
    assert status.present
    assert status.valid, status.describe()


def test_absent_dataset_is_not_present(tmp_path: Path) -> None:
    status = verify_dataset(tmp_path, "clamp")
    assert not status.present
    assert not status.valid
    assert "not present" in status.describe()


def test_missing_file_is_named(tmp_path: Path, shared_datasets: Path) -> None:
    copy_file(shared_datasets, "nsl-kdd", "attack_types.csv", tmp_path)
    status = verify_dataset(tmp_path, "nsl-kdd")
    missing = {p.path for p in status.problems if p.kind is ProblemKind.MISSING}
    assert missing == {"nsl-kdd/KDDTest+.txt", "nsl-kdd/KDDTrain+_20Percent.txt", "nsl-kdd/field_names.csv"}
    assert all("missing" in p.message and str(tmp_path) in p.message for p in status.problems)
    with pytest.raises(DatasetError, match=r"KDDTest\+\.txt: file missing"):
        require_file(tmp_path, "nsl-kdd", "KDDTest+.txt")


def test_flipped_byte_is_a_checksum_mismatch_naming_the_file(tmp_path: Path, shared_datasets: Path) -> None:
    path = copy_file(shared_datasets, "clamp", "ClaMP_Raw-5184.csv", tmp_path)
    flip_byte(path, path.stat().st_size // 2)
    status = verify_dataset(tmp_path, "clamp")
    assert [(p.path, p.kind) for p in status.problems] == [("clamp/ClaMP_Raw-5184.csv", ProblemKind.CHECKSUM)]
    assert str(path) in status.problems[0].message
    assert "sha256 mismatch" in status.problems[0].message
    with pytest.raises(DatasetError, match=r"ClaMP_Raw-5184\.csv: sha256 mismatch"):
        require_file(tmp_path, "clamp", "ClaMP_Raw-5184.csv")
    assert require_file(tmp_path, "clamp", "ClaMP_Raw-5184.csv", verify=False) == path


def test_size_mismatch_is_explained_by_rows_and_columns(tmp_path: Path, shared_datasets: Path) -> None:
    path = copy_file(shared_datasets, "nsl-kdd", "KDDTrain+_20Percent.txt", tmp_path)
    lines = path.read_text().splitlines(keepends=True)
    lines[0] = lines[0].rstrip("\n") + ",extra\n"  # one more column in the first line
    path.write_text("".join(lines[:-1]))  # and one row fewer
    problems = {
        p.kind: p.message for p in verify_dataset(tmp_path, "nsl-kdd").problems if "KDDTrain" in p.path
    }
    assert set(problems) == {ProblemKind.SIZE, ProblemKind.COLUMNS, ProblemKind.ROWS}
    assert "44 columns in its first line, expected 43" in problems[ProblemKind.COLUMNS]
    assert "25191 rows, expected 25192" in problems[ProblemKind.ROWS]


def test_mac_line_endings_count_as_rows(shared_datasets: Path) -> None:
    entry = dataset_manifest("nsl-kdd").entry("attack_types.csv")
    assert entry.format is FileFormat.CSV
    assert entry.rows == 24
    path = shared_datasets / "nsl-kdd" / "attack_types.csv"
    assert b"\n" not in path.read_bytes()
    assert len(path.read_bytes().split(b"\r")) == 24 + int(entry.header)  # Mac (CR) line endings only
    assert file_shape(path, entry)[0] == 24  # counted as rows by the counter the checks use


def test_mail_folder_with_a_message_removed(tmp_path: Path, shared_datasets: Path) -> None:
    source = shared_datasets / "spamassassin" / "hard-ham-1"
    dest = tmp_path / "spamassassin" / "hard-ham-1"
    dest.mkdir(parents=True)
    for p in sorted(source.iterdir())[1:]:
        shutil.copyfile(p, dest / p.name)
    problems = [p for p in verify_dataset(tmp_path, "spamassassin").problems if p.path.endswith("hard-ham-1")]
    assert [p.kind for p in problems] == [ProblemKind.ROWS, ProblemKind.CHECKSUM]
    assert "249 files, expected 250" in problems[0].message


def test_file_hash_is_the_recorded_one(shared_datasets: Path) -> None:
    entry = dataset_manifest("top-sites").entry("top-sites.json")
    assert sha256_file(shared_datasets / "top-sites" / "top-sites.json") == entry.sha256
