"""README commands that no other test ran as written, run as written (the real ``fortress`` command in a
child process, on a temporary FORTRESS_HOME): ``features simulate``/``ingest`` on ``events.parquet`` and
``models list`` on a registry that holds a model. The commands are read from the README's blocks
(support.doc_blocks), so a changed README line is what runs."""

from __future__ import annotations

import shlex
from pathlib import Path

import pandas as pd
import pytest

from fortress.aliases import CHAMPION
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from support.candidates import tiny_candidate
from support.cli import fortress
from support.doc_blocks import REPO, shell_blocks


def readme_command(prefix: str) -> list[str]:
    """The README command starting with ``prefix``, as argv without the leading ``fortress``."""
    for block in shell_blocks(REPO / "README.md"):
        for command in block.commands():
            if command.startswith(prefix):
                return shlex.split(command)[1:]
    raise AssertionError(f"README has no command starting {prefix!r}")


@pytest.mark.slow  # simulates 300 users over 21 days and builds a Feast repository (15-60 s here)
@pytest.mark.timeout(1800)  # the two commands' own limits (900 s each, support.cli.fortress)
def test_features_simulate_and_ingest_events_parquet(tmp_path: Path) -> None:
    simulate = readme_command("fortress features simulate events.parquet")
    assert simulate[:3] == ["features", "simulate", "events.parquet"]
    made = fortress(tmp_path, *simulate)
    assert made.returncode == 0, made.stderr
    events = pd.read_parquet(tmp_path / "events.parquet")  # a relative path: the working directory
    assert len(events) > 0
    assert events["user_id"].nunique() <= 300

    ingest = readme_command("fortress features ingest events.parquet")
    ingested = fortress(tmp_path, *ingest)
    assert ingested.returncode == 0, ingested.stderr
    table = {line.split()[0]: line.split()[1:] for line in ingested.stdout.splitlines()[1:6]}
    assert set(table) == {
        "threat_features",
        "network_features",
        "user_features",
        "user_activity",
        "login_profile",
    }
    assert all(pushed != "-" for _, pushed in table.values())  # --push-online: every view pushed


def test_models_list_on_a_non_empty_registry(settings: Settings) -> None:
    registry = MlflowRegistry(settings.registry, settings.home)
    version = registry.register(tiny_candidate(seed=1)[0]).version
    registry.set_alias("tiny_detector", CHAMPION, version)
    registry.register(tiny_candidate(seed=2)[0])

    listing = fortress(settings.home, *readme_command("fortress models list"))
    assert listing.returncode == 0, listing.stderr
    header, *rows = listing.stdout.splitlines()
    assert header.split() == ["model", "versions", "aliases", "headline", "data"]
    assert len(rows) == 1
    assert rows[0].split() == ["tiny_detector", "2", f"{CHAMPION}=v1", "roc_auc=0.9900", "simulated"]
