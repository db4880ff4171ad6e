"""``fortress deploy render``: the real command over deploy/k8s (kubectl kustomize underneath)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from fortress.deploy.render import IMAGES, find_kubectl
from fortress.errors import Unavailable
from support.cli import fortress
from support.manifests import REPO

K8S = REPO / "deploy" / "k8s"


def images(text: str) -> set[str]:
    found: set[str] = set()
    for doc in yaml.safe_load_all(text):
        for line in yaml.safe_dump(doc).splitlines():
            if line.strip().startswith("image: "):
                found.add(line.split("image: ", 1)[1].strip())
    return found


def test_render_prints_the_overlay(tmp_path: Path) -> None:
    result = fortress(tmp_path, "deploy", "render", "--env", "staging", "--k8s-dir", str(K8S), timeout=120)
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {"kind": "Namespace", "name": "fortress-staging"} in [
        {"kind": d["kind"], "name": d["metadata"]["name"]} for d in docs
    ]
    assert {f"{image}:0.1.0" for image in IMAGES} <= images(result.stdout)


def test_image_tag_sets_every_fortress_image_and_out_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("deploy", "render", "--env", "production", "--image-tag", "1.4.2-rc1", "--out", str(out))
    result = fortress(tmp_path, *args, "--k8s-dir", str(K8S), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    written = (out / "fortress-production.yaml").read_text(encoding="utf-8")
    found = images(written)
    assert {f"{image}:1.4.2-rc1" for image in IMAGES} <= found
    assert not [i for i in found if i.startswith("ghcr.io/fortress-ml/") and not i.endswith(":1.4.2-rc1")]
    assert "redis:7.4.1-bookworm" in found  # third-party images keep their pins


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--env", "prod"), "unknown environment 'prod'"),
        (("--env", "staging", "--image-tag", "latest"), "not a pinned tag"),
        (("--env", "staging", "--image-tag", "a b"), "not a Docker image tag"),
        (("--env", "staging", "--k8s-dir", "/nonexistent"), "no kustomization at"),
    ],
)
def test_bad_input_exits_2_with_an_error_line(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = fortress(tmp_path, "deploy", "render", *args, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_broken_kustomization_exits_2_with_kubectls_message(tmp_path: Path) -> None:
    overlay = tmp_path / "k8s" / "overlays" / "staging"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text("resources: [missing.yaml]\n", encoding="utf-8")
    result = fortress(tmp_path, "deploy", "render", "--env", "staging", "--k8s-dir", str(tmp_path / "k8s"))
    assert result.returncode == 2
    assert result.stderr.startswith("error: kubectl kustomize")
    assert "missing.yaml" in result.stderr


def test_kubectl_missing_is_an_unavailable_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(Unavailable, match="kubectl not found"):
        find_kubectl()
