"""Feature-store features in gateway requests: a request naming a user gets that user's activity from
the online store (the request's own values win), and the answer says which fields came from the store
and which were missing; an unknown user is reported, never zero-filled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame, encode_records
from fortress.features.feast_store import FeastFeatureStore
from fortress.features.settings import FeatureSettings
from fortress.gateway.platform import GatewayPlatform
from fortress.gateway.settings import GatewaySettings
from fortress.registry.base import Candidate
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from fortress.training.baseline import baseline_stats
from fortress.training.parity import onnx_probabilities
from fortress.training.trainers import train
from support.features import END, fill, relaxed
from support.gateway import TINY, gateway_candidates, gateway_client, register_gateway_models

pytestmark = pytest.mark.anyio
INFER = "/api/v1/inference"
USER = "u0003"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def behavior_candidate() -> Candidate:
    from fortress.datasets.simulator import simulate_task

    spec = get_spec("behavior_analyzer")
    task = simulate_task(spec.name, seed=3, n_train=600, n_test=10)
    inputs = encode_frame(spec, task.X_train)
    result = train(spec, inputs, task.y_train, seed=3, threads=1)
    return Candidate(
        spec=spec, onnx=result.model.to_onnx(), metrics={"roc_auc": 0.9}, params=result.params,
        tags={"data.kind": "simulated", "data.name": "test", "data.seed": "3"},
        baseline=baseline_stats(spec, task.X_train), input_example={k: v[:2] for k, v in inputs.items()},
        output_example=result.model.predict_proba(inputs)[:2].astype(np.float32), headline_metric="roc_auc",
    )  # fmt: skip


@pytest.fixture(scope="module")
def behavior() -> Candidate:
    return behavior_candidate()


@pytest.fixture(scope="module")
async def gateway(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, behavior: Candidate
) -> AsyncIterator[tuple[httpx.AsyncClient, GatewayPlatform]]:
    import shutil

    home = tmp_path_factory.mktemp("store-gateway") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    features = relaxed(FeatureSettings())
    fill(home, features, users=12, days=7)
    gateway = GatewaySettings(auth={"enabled": False}, rate_limit={"enabled": False})  # type: ignore[arg-type]
    settings = Settings(home=home, registry=RegistrySettings(), gateway=gateway, features=features)
    register_gateway_models(settings, [*gateway_candidates(), behavior])
    async with gateway_client(settings) as (client, platform):
        store = await asyncio.to_thread(FeastFeatureStore, features, home, clock=lambda: END)
        platform.service.features = store  # what feature_store=true opens, on the simulated history's clock
        try:
            yield client, platform
        finally:
            await store.aclose()


def stored_activity(platform: GatewayPlatform, user: str) -> dict[str, Any]:
    store = platform.service.features
    assert isinstance(store, FeastFeatureStore)
    return dict(store.lookup_sync({"user_id": user}, ["user_activity"]).values["user_activity"])


async def test_a_named_user_brings_their_activity_from_the_store(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform], behavior: Candidate
) -> None:
    client, platform = gateway
    body = {"investigation_id": "inv-store", "features": {"tiny": TINY}, "entities": {"user_id": USER}}
    response = await client.post(INFER, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    spec = behavior.spec
    assert answer["features"]["user_activity"] == {
        "from_store": sorted(spec.field_names),
        "missing": [],
        "stale": [],
    }
    stored = stored_activity(platform, USER)
    want = onnx_probabilities(behavior.onnx, encode_records(spec, [stored]))[0]
    got = [answer["predictions"]["behavior_analyzer"]["probabilities"][label] for label in spec.labels]
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert "tiny_detector" in answer["predictions"]


async def test_request_values_win_over_store_values(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform], behavior: Candidate
) -> None:
    client, platform = gateway
    spec = behavior.spec
    first = spec.field_names[0]
    body = {
        "investigation_id": "inv-override",
        "features": {"user_activity": {first: 123.0}},
        "entities": {"user_id": USER},
    }
    answer = (await client.post(INFER, json=body)).json()
    assert answer["features"]["user_activity"]["from_store"] == sorted(spec.field_names[1:])
    record = {**stored_activity(platform, USER), first: 123.0}
    want = onnx_probabilities(behavior.onnx, encode_records(spec, [record]))[0]
    got = [answer["predictions"]["behavior_analyzer"]["probabilities"][label] for label in spec.labels]
    np.testing.assert_allclose(got, want, atol=1e-6)


async def test_an_unknown_user_is_reported_missing_and_never_zero_filled(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform], behavior: Candidate
) -> None:
    client, _ = gateway
    body = {"investigation_id": "inv-nobody", "features": {"tiny": TINY}, "entities": {"user_id": "nobody"}}
    response = await client.post(INFER, json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    report = answer["features"]["user_activity"]
    assert report["from_store"] == []
    assert sorted(report["missing"]) == sorted(behavior.spec.field_names)
    assert "behavior_analyzer" not in answer["predictions"]
    assert "tiny_detector" in answer["predictions"]


async def test_lookups_are_counted_per_group_and_outcome(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform], behavior: Candidate
) -> None:
    """``fortress_feature_store_fields_total`` (the FeatureStoreStale alert's series) grows by each
    request's report: every field of a known user from the store, every field of an unknown one missing."""
    client, platform = gateway

    def counted(outcome: str) -> float:
        value = platform.metrics_registry.get_sample_value(
            "fortress_feature_store_fields_total", {"group": "user_activity", "outcome": outcome}
        )
        return value or 0.0

    before = {o: counted(o) for o in ("from_store", "missing", "stale")}
    for investigation, user in (("inv-count-1", USER), ("inv-count-2", "nobody")):
        body = {"investigation_id": investigation, "features": {"tiny": TINY}, "entities": {"user_id": user}}
        assert (await client.post(INFER, json=body)).status_code == 200
    n = len(behavior.spec.field_names)
    assert counted("from_store") - before["from_store"] == n
    assert counted("missing") - before["missing"] == n
    assert counted("stale") == before["stale"]
    assert "fortress_feature_store_fields_total" in (await client.get("/metrics")).text
