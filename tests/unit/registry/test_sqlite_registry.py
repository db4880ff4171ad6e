from __future__ import annotations

from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from support.registry_checks import round_trip


def test_round_trip_on_embedded_sqlite_registry(settings: Settings) -> None:
    round_trip(MlflowRegistry(settings))
