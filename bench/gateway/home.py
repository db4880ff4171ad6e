"""The registry the gateway serves: all twelve reference models trained by `fortress train`, cached under
``~/.cache/fortress-bench/`` and reused while nothing that shapes the models has changed.

The cache key covers the code that decides what a trained model is (catalog, featurizer, training,
datasets, registry format), the fortress version and the training data (real datasets folder or
simulator). A new key trains a fresh home (~3-4 min on 2 cores) and removes homes of older keys.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from bench.serving.processes import clean_env

CACHE = Path.home() / ".cache" / "fortress-bench"
FORTRESS = Path(sys.executable).with_name("fortress")
_KEYED_PACKAGES = ("catalog", "training", "datasets", "registry")
_DONE = "bench-home.json"


@dataclass(frozen=True, slots=True)
class TrainedHome:
    path: Path
    """A ``FORTRESS_HOME`` whose registry holds the twelve champions."""
    data: str
    """What they were trained on: a datasets folder or ``simulator``."""
    reused: bool


def _source_root() -> Path:
    import fortress

    return Path(fortress.__file__).resolve().parent


def cache_key(datasets_dir: Path | None) -> str:
    digest = hashlib.sha256()
    digest.update(metadata.version("fortress").encode())
    digest.update(str(datasets_dir.resolve() if datasets_dir else "simulator").encode())
    root = _source_root()
    for package in _KEYED_PACKAGES:
        for source in sorted((root / package).rglob("*.py")):
            digest.update(str(source.relative_to(root)).encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def _train(home: Path, datasets_dir: Path | None, progress: Callable[[str], None]) -> None:
    argv = [str(FORTRESS), "train"]
    if datasets_dir is not None:
        argv += ["--datasets-dir", str(datasets_dir)]
    with subprocess.Popen(
        argv,
        env=clean_env(FORTRESS_HOME=str(home)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() and "INFO mlflow" not in line:
                progress(f"  | {line.rstrip()}")
        code = process.wait()
    if code != 0:
        raise RuntimeError(f"`fortress train` exited with {code}")


def trained_home(
    datasets_dir: Path | None, progress: Callable[[str], None], cache: Path = CACHE
) -> TrainedHome:
    """The cached home for this code and data, trained first if there is none."""
    data = str(datasets_dir) if datasets_dir else "simulator"
    key = cache_key(datasets_dir)
    root = cache / f"gateway-home-{key}"
    home = root / "home"
    if (root / _DONE).exists():
        progress(f"reusing the trained registry {home} (key {key}, trained on {data})")
        return TrainedHome(home, data, reused=True)
    progress(f"training the twelve models into {home} (key {key}, {data}; a few minutes, once)")
    shutil.rmtree(root, ignore_errors=True)
    _train(home, datasets_dir, progress)
    (root / _DONE).write_text(json.dumps({"key": key, "data": data}) + "\n")
    for old in cache.glob("gateway-home-*"):
        if old != root:
            progress(f"removing the registry of an older key: {old}")
            shutil.rmtree(old, ignore_errors=True)
    return TrainedHome(home, data, reused=False)
