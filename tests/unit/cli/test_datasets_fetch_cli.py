"""`fortress datasets fetch` against a local HTTP mirror serving a copy of a real dataset."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from support.cli import fortress, one_error_line
from support.processes import free_port, running


def test_fetch_from_mirror_verifies_checksums(tmp_path: Path, shared_datasets: Path) -> None:
    mirror = tmp_path / "mirror"
    shutil.copytree(shared_datasets / "clamp", mirror / "clamp")
    port = free_port()
    server = [
        sys.executable,
        "-m",
        "http.server",
        str(port),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(mirror),
    ]
    with running(server, f"http://127.0.0.1:{port}/"):
        dest = tmp_path / "data"
        ok = fortress(
            tmp_path,
            "datasets",
            "fetch",
            "clamp",
            "--to",
            str(dest),
            "--base-url",
            f"http://127.0.0.1:{port}",
        )
        assert ok.returncode == 0, ok.stderr
        assert "clamp: ok" in ok.stdout
        assert (dest / "clamp" / "ClaMP_Raw-5184.csv").read_bytes() == (
            shared_datasets / "clamp" / "ClaMP_Raw-5184.csv"
        ).read_bytes()
        listed = fortress(tmp_path, "datasets", "list", "--datasets-dir", str(dest))
        assert "clamp                ok" in listed.stdout

        served = mirror / "clamp" / "ClaMP_Raw-5184.csv"
        served.chmod(0o644)
        served.write_bytes(served.read_bytes().replace(b"23117", b"23118", 1))
        bad = fortress(
            tmp_path,
            "datasets",
            "fetch",
            "clamp",
            "--to",
            str(tmp_path / "bad"),
            "--base-url",
            f"http://127.0.0.1:{port}",
        )
        line = one_error_line(bad)
        assert "ClaMP_Raw-5184.csv" in line
        assert not (tmp_path / "bad" / "clamp" / "ClaMP_Raw-5184.csv").exists()
