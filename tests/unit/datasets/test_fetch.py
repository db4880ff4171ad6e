"""``fetch_dataset`` against a local ``python -m http.server`` serving a mirror of the shared datasets."""

from __future__ import annotations

import io
import shutil
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from fortress.datasets.checksums import folder_listing, folder_sha256
from fortress.datasets.fetch import fetch_dataset, fetch_manifest
from fortress.datasets.manifest import DatasetManifest, FileFormat, ManifestEntry
from fortress.datasets.verify import verify_dataset
from fortress.errors import DatasetError
from support.processes import free_port, running


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """(root folder, base URL) of a web server started for this module and stopped by its PID."""
    root = tmp_path_factory.mktemp("mirror")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)]
    with running(server, url + "/"):
        yield root, url


def copy_dataset(shared: Path, name: str, dest: Path) -> Path:
    target = dest / name
    target.mkdir(parents=True, exist_ok=True)
    for p in (shared / name).iterdir():
        shutil.copyfile(p, target / p.name)
    return target


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(".*")]


def test_round_trip_from_a_mirror(mirror: tuple[Path, str], tmp_path: Path, shared_datasets: Path) -> None:
    root, url = mirror
    copy_dataset(shared_datasets, "nsl-kdd", root / "good")
    messages: list[str] = []
    status = fetch_dataset("nsl-kdd", tmp_path, f"{url}/good/", messages.append)
    assert status.valid, status.describe()
    assert (tmp_path / "nsl-kdd" / "KDDTest+.txt").read_bytes() == (
        shared_datasets / "nsl-kdd" / "KDDTest+.txt"
    ).read_bytes()
    assert any("KDDTest%2B.txt" in m for m in messages)
    assert leftovers(tmp_path) == []

    messages.clear()
    assert fetch_dataset("nsl-kdd", tmp_path, f"{url}/good", messages.append).valid
    assert all("already present and verified" in m for m in messages)
    assert len(messages) == 4


def test_checksum_mismatch_is_not_kept(
    mirror: tuple[Path, str], tmp_path: Path, shared_datasets: Path
) -> None:
    root, url = mirror
    served = copy_dataset(shared_datasets, "clamp", root / "bad") / "ClaMP_Raw-5184.csv"
    data = bytearray(served.read_bytes())
    data[1000] ^= 0x01
    served.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"clamp/ClaMP_Raw-5184\.csv: download from .* does not match"):
        fetch_dataset("clamp", tmp_path, f"{url}/bad")
    assert not (tmp_path / "clamp" / "ClaMP_Raw-5184.csv").exists()
    assert leftovers(tmp_path) == []
    assert not verify_dataset(tmp_path, "clamp").valid


def test_missing_on_the_mirror(mirror: tuple[Path, str], tmp_path: Path) -> None:
    _, url = mirror
    with pytest.raises(DatasetError, match=r"clamp/ClaMP_Raw-5184\.csv: GET .* answered HTTP 404"):
        fetch_dataset("clamp", tmp_path, f"{url}/nothing-here")
    assert leftovers(tmp_path) == []


def test_no_direct_public_source_needs_a_mirror(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetError, match=r"phishing-urls/phishtank_online_valid\.csv: no direct public download"
    ):
        fetch_dataset("phishing-urls", tmp_path)


def _mail_folder(folder: Path) -> None:
    folder.mkdir(parents=True)
    for i in range(3):
        (folder / f"0000{i}.abc{i}.txt").write_bytes(f"From: a{i}@example.org\n\nbody {i}\n".encode())


def _manifest(folder: Path, source: str = "", archive: str = "") -> DatasetManifest:
    size = sum(p.stat().st_size for p in folder.iterdir())
    entry = ManifestEntry(
        "inbox", folder_sha256(folder), size, 3, FileFormat.MAILDIR, source=source, archive=archive
    )
    return DatasetManifest("mails", "test mails", "", (entry,))


def test_mail_folder_from_a_mirror_listing(mirror: tuple[Path, str], tmp_path: Path) -> None:
    root, url = mirror
    served = root / "listed" / "mails" / "inbox"
    _mail_folder(served)
    manifest = _manifest(served)
    (served / "SHA256SUMS").write_text(folder_listing(served))  # written after the checksum was taken
    status = fetch_manifest(manifest, tmp_path / "a", f"{url}/listed")
    assert status.valid, status.describe()
    assert sorted(p.name for p in (tmp_path / "a" / "mails" / "inbox").iterdir()) == sorted(
        p.name for p in served.iterdir() if p.name != "SHA256SUMS"
    )

    (served / "SHA256SUMS").write_text(folder_listing(served))  # now lists itself: no longer the recorded one
    with pytest.raises(
        DatasetError, match=r"mails/inbox: .*SHA256SUMS does not match the recorded folder checksum"
    ):
        fetch_manifest(manifest, tmp_path / "b", f"{url}/listed")


def test_mail_folder_from_a_tarball(mirror: tuple[Path, str], tmp_path: Path) -> None:
    root, url = mirror
    expected = tmp_path / "expected"
    _mail_folder(expected)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as tar:
        for p in [*expected.iterdir(), None]:
            name, data = ("cmds", b"mv x y\n") if p is None else (p.name.removesuffix(".txt"), p.read_bytes())
            info = tarfile.TarInfo(f"inbox_dir/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (root / "corpus.tar.bz2").write_bytes(buffer.getvalue())

    manifest = _manifest(expected, f"{url}/corpus.tar.bz2", archive="inbox_dir")
    status = fetch_manifest(manifest, tmp_path / "a")
    assert status.valid, status.describe()
    assert leftovers(tmp_path / "a") == []

    wrong = _manifest(expected, f"{url}/corpus.tar.bz2", archive="other_dir")
    with pytest.raises(DatasetError, match=r"mails/inbox: the 0 messages extracted from .* do not match"):
        fetch_manifest(wrong, tmp_path / "b")
    assert not (tmp_path / "b" / "mails" / "inbox").exists()
    assert leftovers(tmp_path / "b") == []
