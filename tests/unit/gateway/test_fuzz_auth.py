"""The gateway's OpenAPI fuzzed with authentication on, as deployed (API keys, failed-attempt
throttling, rate limits at their defaults): with a valid key and without one, no input gives a 5xx or
an answer the schema does not document (401, 403 and 429 included)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from fortress.gateway.auth.keys import key_store
from fortress.gateway.http.factory import build_app
from fortress.gateway.settings import GatewaySettings
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.gateway import gateway_candidates, register_gateway_models
from support.uvicorn_thread import serving_in_thread


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[str, str]]:
    """(gateway URL, an admin + inference key) of a gateway with authentication on."""
    home = tmp_path_factory.mktemp("fuzz-auth") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    config = Settings(home=home, datasets_dir=None, registry=RegistrySettings(), gateway=GatewaySettings())
    register_gateway_models(config, gateway_candidates())
    _, key = key_store(config.home, config.gateway.auth).create("fuzz", ["inference", "admin"])
    with serving_in_thread(build_app(config, MlflowRegistry(config.registry, config.home))) as url:
        yield url, key


@pytest.mark.parametrize("credentials", ["valid key", "none"])
def test_no_input_gives_a_server_error_or_an_undocumented_answer(
    secured: tuple[str, str], credentials: str
) -> None:
    url, key = secured
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    schema.config.base_url = url
    headers = {"X-API-Key": key} if credentials == "valid key" else {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/api/v1/inference", "/api/v1/models"}
    statuses: list[int] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])
            statuses.append(response.status_code)

        check()
    assert not [s for s in statuses if s >= 500]
    if credentials == "none":  # the closed operations refused (401, then 429 once throttled), never served
        assert {401, 429} & set(statuses), sorted(set(statuses))
    else:
        assert 200 in statuses, sorted(set(statuses))
