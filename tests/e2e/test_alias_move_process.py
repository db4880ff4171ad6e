"""An alias move made with the CLI reaches every worker of a running ``fortress serve`` without
waiting for the 30 s registry poll: the runtime's change-token watch (docs/RUNTIME.md, "Versions")."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from support.candidates import tiny_candidate
from support.cli import command_env
from support.serve_process import FORTRESS, serve

CHAMPION_META = "/v1/models/tiny_detector/labels/champion/metadata"


@pytest.fixture
def home(tmp_path: Path, sqlite_template: Path) -> Path:
    """``tiny_detector`` v1 (champion) and v2, registered without a training run."""
    (tmp_path / "registry").mkdir()
    shutil.copy(sqlite_template, tmp_path / "registry" / "mlflow.db")
    settings = Settings(home=tmp_path)
    registry = MlflowRegistry(settings.registry, settings.home)
    for seed in (1, 2):
        registry.register(tiny_candidate(seed)[0])
    registry.set_alias("tiny_detector", "champion", 1)
    return tmp_path


def champion_versions(client: httpx.Client, calls: int) -> set[str]:
    """The champion version the workers answer with, over ``calls`` fresh connections."""
    seen = set()
    for _ in range(calls):
        answer = client.get(CHAMPION_META, headers={"Connection": "close"})
        assert answer.status_code == 200, answer.text
        seen.add(str(answer.json()["model_spec"]["version"]))
    return seen


@pytest.mark.slow
def test_an_alias_move_is_served_by_every_worker_within_a_second_or_so(home: Path) -> None:
    with (
        serve(home, "--models", "tiny_detector", "--workers", "2") as server,
        httpx.Client(base_url=server.url, timeout=10) as client,
    ):
        assert champion_versions(client, 10) == {"1"}
        for version in ("2", "1"):  # a promotion, then its rollback
            moved = subprocess.run(
                [FORTRESS, "models", "alias", "tiny_detector", "champion", version],
                env=command_env(home, None),
                cwd=home,
                capture_output=True,
                text=True,
                check=False,
            )
            assert moved.returncode == 0, moved.stderr
            start = time.monotonic()
            # The default watch reads the token every 0.5 s: expected within ~1 s (a tiny version
            # loads in milliseconds). The 10 s bound is a safety limit that
            # the 30 s poll alone could not meet.
            while champion_versions(client, 10) != {version}:
                assert time.monotonic() - start < 10, server.output()
                time.sleep(0.05)
