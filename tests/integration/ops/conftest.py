"""One simulator-trained home and its backup per session; each test restores its own copy from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from fortress.settings import Settings
from support.ops import Trained, home_settings, restore_into, take_backup, train_home


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Trained:
    root = tmp_path_factory.mktemp("ops-session")
    settings = home_settings(root / "home")
    train_home(settings)
    manifest, backup = take_backup(settings, root / "backups")
    return Trained(settings, manifest, backup)


@pytest.fixture
def home(trained: Trained, tmp_path: Path) -> Settings:
    """A home of this test's own, restored from the session's backup."""
    settings = trained.settings.model_copy(update={"home": tmp_path / "home"})
    restore_into(settings, trained.backup, settings.home)
    return settings
