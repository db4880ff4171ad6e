"""Property-based fuzzing of the model server's HTTP API from its own OpenAPI document (schemathesis):
no input gives an undocumented status, a 5xx other than a documented unavailability, or a body that
breaks the documented schema."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from prometheus_client import CollectorRegistry
from schemathesis.specs.openapi.checks import positive_data_acceptance

from fortress.monitoring.runtime_metrics import RuntimeMetrics
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from fortress.runtime.manager import ModelRuntime
from fortress.server.app import create_app
from fortress.server.settings import ServerSettings
from fortress.settings import Settings
from support.serving import register, served_candidates
from support.uvicorn_thread import serving_in_thread


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[str]:
    home = tmp_path_factory.mktemp("server-fuzz") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    config = Settings(home=home, datasets_dir=None, registry=RegistrySettings())
    register(config, served_candidates())
    metrics = CollectorRegistry()
    runtime = ModelRuntime(
        MlflowRegistry(config.registry, config.home), config.runtime, RuntimeMetrics(metrics)
    )
    with serving_in_thread(create_app(runtime, ServerSettings(grpc_port=0), metrics)) as url:
        yield url


def test_no_input_gives_a_server_error_or_an_undocumented_answer(server_url: str) -> None:
    """Every operation, driven by hypothesis, with every default check but ``positive_data_acceptance``
    (a schema-valid tensor can still have the wrong shape for the model: a documented 400)."""
    schema = schemathesis.openapi.from_url(f"{server_url}/openapi.json")
    schema.config.base_url = server_url
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/models/{name}:predict", "/v2/models/{name}/infer"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()
