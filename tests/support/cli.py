"""Run the real ``fortress`` command in a subprocess with a given FORTRESS_HOME."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FORTRESS = str(Path(sys.executable).with_name("fortress"))


def fortress(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("FORTRESS_")}
    full_env.update({"FORTRESS_HOME": str(home), **(env or {})})
    return subprocess.run(
        [FORTRESS, *args],
        capture_output=True,
        text=True,
        env=full_env,
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
