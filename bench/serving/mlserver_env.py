"""MLServer (c) lives in a venv of its own, built on first use and reused while its pins are unchanged."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

DEFAULT_VENV = Path.home() / ".cache" / "fortress-bench" / "mlserver-venv"
BUILD_TIMEOUT_S = 1200
_REPORTED = ("mlserver", "mlserver-sklearn", "uvloop", "lightgbm", "scikit-learn")


def requirements() -> list[str]:
    """MLServer 1.7 with its scikit-learn runtime; LightGBM, scikit-learn and joblib at this project's
    versions so the joblib loads unchanged; uvloop 0.21.0 because 0.23 crash-loops MLServer's inference
    worker (SeldonIO/MLServer#2286)."""
    return [
        "mlserver>=1.7,<1.8",
        "mlserver-sklearn>=1.7,<1.8",
        f"lightgbm=={metadata.version('lightgbm')}",
        f"scikit-learn=={metadata.version('scikit-learn')}",
        f"joblib=={metadata.version('joblib')}",
        "uvloop==0.21.0",
    ]


def ensure_mlserver(venv: Path, progress: Callable[[str], None]) -> tuple[Path, str]:
    """The ``mlserver`` executable and its package versions, building the venv first if needed
    (about a minute)."""
    pins = "\n".join(requirements())
    stamp = venv / ".fortress-bench-requirements"
    executable = venv / "bin" / "mlserver"
    if executable.exists() and stamp.exists() and stamp.read_text() == pins:
        progress(f"MLServer venv: {venv} (reused)")
    else:
        progress(f"MLServer venv: building {venv}: pip install {' '.join(requirements())}")
        _run([sys.executable, "-m", "venv", "--clear", str(venv)])
        python = str(venv / "bin" / "python")
        _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements()])
        stamp.write_text(pins)
    versions = _versions(venv)
    progress(f"MLServer venv: {versions}")
    return executable, versions


def _versions(venv: Path) -> str:
    script = (
        "from importlib.metadata import version\n"
        f"print(', '.join(f'{{n}} {{version(n)}}' for n in {_REPORTED!r}))"
    )
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"MLServer venv {venv} is broken: {done.stderr.strip()}")
    return done.stdout.strip()


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        last = lines[-1] if lines else "no output"
        tail = "\n".join(lines[-15:])
        raise RuntimeError(f"`{' '.join(argv[:4])} ...` failed ({done.returncode}): {last}\n{tail}")
