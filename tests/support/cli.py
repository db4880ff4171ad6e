"""Run the real ``fortress`` command in a subprocess with a given FORTRESS_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import fortress as _package

FORTRESS = str(Path(sys.executable).with_name("fortress"))
SOURCE = str(Path(_package.__file__).resolve().parents[1])
"""The ``src`` folder the tests import ``fortress`` from: the command runs that same code (a relative
``PYTHONPATH=src`` would otherwise name another folder from the command's working directory)."""


def command_env(home: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ``FORTRESS_`` variables, plus ``FORTRESS_HOME`` and
    ``env``; ``fortress`` imported from the same folder as the tests'."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FORTRESS_")}
    full_env.update({"FORTRESS_HOME": str(home), **(env or {})})
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (SOURCE, full_env.get("PYTHONPATH")) if p)
    return full_env


def fortress(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FORTRESS, *args],
        capture_output=True,
        text=True,
        env=command_env(home, env),
        timeout=timeout,
        check=False,
        cwd=home,  # anything written outside FORTRESS_HOME by mistake lands here, not in the repo
    )


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single 'error: ...' line a failed command must print (and no traceback)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]
