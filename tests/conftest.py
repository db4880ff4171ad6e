"""Shared fixtures: settings on a temporary FORTRESS_HOME, a migrated MLflow template database, the real
datasets (FORTRESS_TEST_DATASETS_DIR); with CI set, a run in which any test skipped fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings

if TYPE_CHECKING:
    from fortress.registry.mlflow_registry import MlflowRegistry

REPO_ROOT = Path(__file__).resolve().parents[1]
DATASETS_ENV = "FORTRESS_TEST_DATASETS_DIR"
DATASETS_SKIP = "real datasets not found at"
"""Start of the skip reason of every test that needs the real datasets; the summary counts them by it."""


def datasets_dir() -> Path:
    """FORTRESS_TEST_DATASETS_DIR, else ../shared/datasets beside the repository."""
    configured = os.environ.get(DATASETS_ENV)
    folder = Path(configured).expanduser() if configured else REPO_ROOT.parent / "shared" / "datasets"
    return folder.resolve()


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _skips(reporter: pytest.TerminalReporter) -> list[pytest.TestReport]:
    """Skipped tests (an expected failure, xfail, is reported as skipped too: not counted)."""
    return [r for r in reporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]


def _reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With CI set, a skipped test is a failure: in CI every service and the datasets must be there."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if in_ci() and reporter is not None and _skips(reporter) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line for the dataset tests that skipped, and with CI set one line failing the run on skips."""
    skips = _skips(terminalreporter)
    without_data = sum(1 for r in skips if DATASETS_SKIP in _reason(r))
    if without_data:
        terminalreporter.write_line(
            f"{without_data} dataset tests skipped: no datasets at {datasets_dir()}; "
            f"set {DATASETS_ENV}=/path/to/datasets to run them",
            yellow=True,
            bold=True,
        )
    if skips and in_ci():
        terminalreporter.write_line(
            f"CI is set and {len(skips)} tests skipped: failing the run (in CI nothing may skip)",
            red=True,
            bold=True,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Markers by folder: tests/integration -> integration, tests/e2e -> e2e."""
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    folder = datasets_dir()
    if not folder.is_dir():
        pytest.skip(f"{DATASETS_SKIP} {folder} (set {DATASETS_ENV})")
    return folder


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MLflow SQLite database migrated once per test session; tests copy it."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    folder = tmp_path_factory.mktemp("mlflow-template")
    db = folder / "mlflow.db"
    store = SqlAlchemyStore(f"sqlite:///{db}", (folder / "artifacts").as_uri())
    store.engine.dispose()
    return db


def _home_from_template(home: Path, template: Path) -> Path:
    (home / "registry").mkdir(parents=True)
    shutil.copy(template, home / "registry" / "mlflow.db")
    return home


@pytest.fixture(scope="session")
def new_registry(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Callable[[], MlflowRegistry]:
    """Makes fresh real MLflow registries (SQLite, copied from the migrated template) for any scope."""
    from fortress.registry.mlflow_registry import MlflowRegistry

    def make() -> MlflowRegistry:
        home = _home_from_template(tmp_path_factory.mktemp("home"), sqlite_template)
        return MlflowRegistry(RegistrySettings(), home)

    return make


@pytest.fixture
def settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    home = _home_from_template(tmp_path / "home", sqlite_template)
    return Settings(
        home=home,
        datasets_dir=None,
        registry=RegistrySettings(),
        training={"thresholds_file": REPO_ROOT / "configs" / "performance_thresholds.yaml"},  # type: ignore[arg-type]
    )
