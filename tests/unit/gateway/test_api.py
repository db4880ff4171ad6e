"""The gateway API in-process over a real registry and the local runtime: answers, cache, batch,
fallback and degraded answers, health, models, metrics, OpenAPI, and every client error path."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest

from fortress.catalog.encode import encode_records
from fortress.gateway.platform import GatewayPlatform
from fortress.gateway.settings import GatewaySettings
from fortress.registry.base import Candidate
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from fortress.training.parity import onnx_probabilities
from support.gateway import (
    TINY,
    URL,
    gateway_candidates,
    gateway_client,
    investigation,
    register_gateway_models,
)

pytestmark = pytest.mark.anyio
INFER = "/api/v1/inference"
OPEN = {"auth": {"enabled": False}, "rate_limit": {"enabled": False}}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def candidates() -> list[Candidate]:
    return gateway_candidates()


def gateway_settings(home: Path, **gateway: Any) -> Settings:
    return Settings(
        home=home,
        datasets_dir=None,
        registry=RegistrySettings(),
        gateway=GatewaySettings(**{**OPEN, **gateway}),
    )


@pytest.fixture(scope="module")
def shared_home(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, candidates: list[Candidate]
) -> Settings:
    home = tmp_path_factory.mktemp("gateway") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    settings = gateway_settings(home)
    register_gateway_models(settings, candidates)
    return settings


@pytest.fixture(scope="module")
async def gateway(shared_home: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, GatewayPlatform]]:
    async with gateway_client(shared_home) as pair:
        yield pair


@pytest.fixture(scope="module")
async def client(gateway: tuple[httpx.AsyncClient, GatewayPlatform]) -> httpx.AsyncClient:
    return gateway[0]


def expected_probabilities(candidate: Candidate, record: dict[str, Any]) -> list[float]:
    feeds = encode_records(candidate.spec, [record])
    return [float(p) for p in onnx_probabilities(candidate.onnx, feeds)[0]]


async def test_every_model_of_the_present_groups_answers_with_its_own_probabilities(
    client: httpx.AsyncClient, candidates: list[Candidate]
) -> None:
    response = await client.post(INFER, json=investigation("inv-answer", cache_enabled=False))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["investigation_id"] == "inv-answer"
    assert body["cached"] is False
    assert body["degraded"] is False
    assert body["unavailable"] == {}
    assert set(body["predictions"]) == {"tiny_detector", "tiny_primary", "phishing_url"}
    assert body["latency_ms"] > 0
    tiny, _, text = candidates
    for name, candidate, record in (("tiny_detector", tiny, TINY), ("phishing_url", text, URL)):
        prediction = body["predictions"][name]
        want = expected_probabilities(candidate, record)
        got = [prediction["probabilities"][label] for label in candidate.spec.labels]
        np.testing.assert_allclose(got, want, atol=1e-6)
        assert prediction["model"] == name
        assert prediction["version"] == 1
        assert prediction["route"] == "champion"
        assert prediction["label"] == candidate.spec.labels[int(np.argmax(want))]
        risk = float(np.dot(want, candidate.spec.malicious_mask))
        assert prediction["risk"] == pytest.approx(risk, abs=1e-6)
        assert prediction["confidence"] == pytest.approx(max(want), abs=1e-6)
        assert prediction["records"] == 1
        assert prediction["record_risks"] is None
        assert body["confidence_scores"][name] == pytest.approx(max(want), abs=1e-6)
    ensemble = body["ensemble"]
    assert ensemble["verdict"] in {"benign", "suspicious", "malicious"}
    assert 0 <= ensemble["risk_score"] <= 1
    assert 0 <= ensemble["confidence"] <= 1
    assert {d["model"] for d in ensemble["drivers"]} == set(body["predictions"])
    contributions = [d["contribution"] for d in ensemble["drivers"]]
    assert contributions == sorted(contributions, reverse=True)
    assert sum(contributions) == pytest.approx(ensemble["risk_score"])


async def test_models_can_be_chosen_and_records_can_be_lists(client: httpx.AsyncClient) -> None:
    records = [TINY, {"x": -2.0, "y": 0.0, "proto": "tcp"}, {"x": 2.5, "y": 1.0, "proto": "sctp"}]
    body = {"investigation_id": "inv-list", "models": ["tiny_detector"], "features": {"tiny": records}}
    response = await client.post(INFER, json=body)
    assert response.status_code == 200, response.text
    prediction = response.json()["predictions"]["tiny_detector"]
    assert list(response.json()["predictions"]) == ["tiny_detector"]
    assert prediction["records"] == 3
    assert prediction["risk"] == pytest.approx(max(prediction["record_risks"]))


async def test_a_repeated_request_is_served_from_the_cache_unless_disabled(client: httpx.AsyncClient) -> None:
    first = (await client.post(INFER, json=investigation("inv-cache-1"))).json()
    second = (await client.post(INFER, json=investigation("inv-cache-2"))).json()
    assert first["cached"] is False
    assert second["cached"] is True
    assert second["investigation_id"] == "inv-cache-2"
    assert second["predictions"] == first["predictions"]
    assert second["ensemble"] == first["ensemble"]
    third = (await client.post(INFER, json=investigation("inv-cache-3", cache_enabled=False))).json()
    assert third["cached"] is False
    other = investigation("inv-cache-4")
    other["features"]["tiny"] = {**TINY, "x": 0.31}
    assert (await client.post(INFER, json=other)).json()["cached"] is False


async def test_a_new_champion_version_never_gets_a_cached_answer_of_the_old_one(
    settings: Settings, candidates: list[Candidate]
) -> None:
    settings = gateway_settings(settings.home)
    registry = register_gateway_models(settings, candidates)
    async with gateway_client(settings) as (client, platform):
        body = {"investigation_id": "inv-v", "features": {"tiny": TINY}, "models": ["tiny_detector"]}
        assert (await client.post(INFER, json=body)).json()["cached"] is False
        assert (await client.post(INFER, json=body)).json()["cached"] is True
        info = registry.register(candidates[0])
        registry.set_alias("tiny_detector", "champion", info.version)
        await platform.service.router.backends["local"].runtime.refresh()  # type: ignore[attr-defined]
        after = (await client.post(INFER, json=body)).json()
        assert after["cached"] is False
        assert after["predictions"]["tiny_detector"]["version"] == 2


async def test_batch_answers_every_investigation_in_order(client: httpx.AsyncClient) -> None:
    ids = [f"inv-batch-{i}" for i in range(5)]
    payload = {"investigations": [investigation(i, cache_enabled=False) for i in ids]}
    response = await client.post(f"{INFER}/batch", json=payload)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["investigation_id"] for r in results] == ids
    assert all(set(r["predictions"]) == {"tiny_detector", "tiny_primary", "phishing_url"} for r in results)


async def test_a_failing_model_gives_its_fallback_or_a_degraded_answer(shared_home: Settings) -> None:
    async with gateway_client(shared_home, broken=["tiny_primary", "phishing_url"]) as (client, _platform):
        for attempt in range(2):  # degraded answers are never cached
            response = await client.post(INFER, json=investigation(f"inv-broken-{attempt}"))
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["cached"] is False
            assert body["degraded"] is True
            stand_in = body["predictions"]["tiny_primary"]
            assert stand_in["model"] == "tiny_detector"
            assert stand_in["fallback_for"] == "tiny_primary"
            assert "connection refused" in body["unavailable"]["tiny_primary"]
            assert "phishing_url" not in body["predictions"]
            assert "connection refused" in body["unavailable"]["phishing_url"]
            assert body["ensemble"]["verdict"] in {"benign", "suspicious", "malicious"}
        health = (await client.get("/health")).json()
        assert health["status"] == "degraded"
        assert health["models"]["phishing_url"]["available"] is False
        assert health["models"]["tiny_detector"]["available"] is True
        metrics = (await client.get("/metrics")).text
        champion = 'route="champion"'  # the text lists labels in name order
        assert (
            f'ml_inference_total{{model="phishing_url",{champion},status="error",version="1"}} 2.0' in metrics
        )
        assert (
            f'ml_inference_total{{model="tiny_primary",{champion},status="fallback",version="1"}} 2.0'
            in metrics
        )
        assert 'ml_model_availability{model="phishing_url"} 0.0' in metrics


async def test_health_models_and_metrics(client: httpx.AsyncClient) -> None:
    answer = await client.post(INFER, json=investigation("inv-metrics", cache_enabled=False))
    health = (await client.get("/health")).json()
    assert health["status"] == "healthy", health
    assert health["models"]["tiny_detector"] == {"available": True, "version": 1, "backend": "local"}
    assert health["cache"]["ok"] is True
    assert health["events"]["ok"] is True
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/health/ready")).json() == {"ready": True}
    models = (await client.get("/api/v1/models")).json()
    by_name = {m["name"]: m for m in models["models"]}
    assert set(by_name) == {"tiny_detector", "tiny_primary", "phishing_url"}
    assert by_name["tiny_primary"]["fallback"] == "tiny_detector"
    assert by_name["tiny_detector"]["feature_group"] == "tiny"
    assert [f["name"] for f in by_name["tiny_detector"]["fields"]] == ["x", "y", "proto"]
    assert by_name["tiny_detector"]["routes"] == {"champion": 1}
    metrics = (await client.get("/metrics")).text
    served = 'route="champion",version="1"'  # the text lists labels in name order
    labels = {name: p["label"] for name, p in answer.json()["predictions"].items()}
    for line in (
        'ml_inference_total{model="tiny_detector",route="champion",status="success",version="1"}',
        f'ml_inference_latency_seconds_count{{model="phishing_url",{served}}}',
        'ml_model_availability{model="tiny_detector"} 1.0',
        f'ml_confidence_scores_count{{model="tiny_detector",{served}}}',
        f'ml_predictions_total{{label="{labels["tiny_detector"]}",model="tiny_detector",{served}}}',
        f'ml_predictions_total{{label="{labels["phishing_url"]}",model="phishing_url",{served}}}',
        'fortress_gateway_cache_total{outcome="miss"}',
        'fortress_gateway_requests_total{endpoint="/api/v1/inference",status="200"}',
        'fortress_gateway_requests_total{endpoint="/health",status="200"}',
        'fortress_gateway_request_seconds_count{endpoint="/api/v1/inference"}',
    ):
        assert line in metrics, line


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b'{"investigation_id": "x", "features": ', 400, ["malformed JSON"]),
        (b"[1, 2]", 422, ["invalid request"]),
        (orjson.dumps({"features": {"tiny": TINY}}), 422, ["investigation_id", "Field required"]),
        (orjson.dumps(investigation(extra_field=1)), 422, ["extra_field"]),
        (orjson.dumps(investigation(models=["nope"])), 400, ["unknown model 'nope'", "tiny_detector"]),
        (
            orjson.dumps({"investigation_id": "x", "features": {"dns": {}}}),
            422,
            ["unknown feature group 'dns'"],
        ),
        (orjson.dumps({"investigation_id": "x", "features": {}}), 422, ["features: Dictionary should have"]),
        (
            orjson.dumps({"investigation_id": "x", "features": {"tiny": []}}),
            422,
            ["tiny: needs at least one"],
        ),
        (
            orjson.dumps({"investigation_id": "x", "features": {"tiny": {**TINY, "x": "high"}}}),
            422,
            ["tiny.x", "expected a number"],
        ),
        (
            orjson.dumps({"investigation_id": "x", "features": {"tiny": {"x": 1, "y": 2}}}),
            422,
            ["tiny.proto"],
        ),
        (
            orjson.dumps({"investigation_id": "x", "features": {"tiny": {**TINY, "y": 1e39}}}),
            422,
            ["tiny.y", "float32 range"],
        ),
        (
            b'{"investigation_id": "x", "features": {"tiny": {"x": 1e400, "y": 2, "proto": "tcp"}}}',
            400,
            ["malformed JSON", "infinity"],
        ),
        (
            orjson.dumps({"investigation_id": "x", "models": ["phishing_url"], "features": {"tiny": TINY}}),
            422,
            ["needs feature group 'url'"],
        ),
        (
            orjson.dumps({"investigation_id": "x", "features": {"tiny": [TINY] * 257}}),
            422,
            ["257 records", "at most 256"],
        ),
    ],
)
async def test_client_errors_are_4xx_with_a_message(
    client: httpx.AsyncClient, body: bytes, status: int, words: list[str]
) -> None:
    response = await client.post(INFER, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status, response.text
    error = response.json()
    assert set(error) == {"error", "kind"}
    for word in words:
        assert word in error["error"]


async def test_transport_level_errors(client: httpx.AsyncClient) -> None:
    response = await client.post(INFER, content=b"a=1", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "send JSON" in response.json()["error"]
    huge = b'{"investigation_id": "' + b"x" * (1 << 20) + b'"}'
    assert (await client.post(INFER, content=huge)).status_code == 413
    assert (await client.get("/nowhere")).status_code == 404
    assert (await client.get(INFER)).status_code == 405
    too_many = {"investigations": [investigation(f"i{i}") for i in range(65)]}
    response = await client.post(f"{INFER}/batch", json=too_many)
    assert response.status_code == 400
    assert "at most 64" in response.json()["error"]
    bad = {"investigations": [investigation("ok"), investigation("bad", models=["nope"])]}
    response = await client.post(f"{INFER}/batch", json=bad)
    assert response.status_code == 400
    assert response.json()["error"].startswith("investigations[1]: ")


async def test_openapi_documents_the_request_and_response_models(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    components = schema["components"]["schemas"]
    assert {"InferenceRequest", "BatchRequest", "InferenceResponse", "EnsembleResult"} <= set(components)
    body = schema["paths"][INFER]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/InferenceRequest"}
    assert set(components["InferenceRequest"]["required"]) == {"investigation_id", "features"}
    assert "422" in schema["paths"][INFER]["post"]["responses"]


async def test_a_body_sent_in_chunks_is_read_whole_and_one_past_the_limit_is_refused(
    client: httpx.AsyncClient,
) -> None:
    body = orjson.dumps(investigation("chunked", cache_enabled=False))

    async def pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    whole = await client.post(INFER, content=body, headers={"content-type": "application/json"})
    chunked = await client.post(INFER, content=pieces(body, 7), headers={"content-type": "application/json"})
    assert chunked.status_code == whole.status_code == 200, chunked.text
    assert chunked.json()["predictions"] == whole.json()["predictions"]
    assert "content-length" not in chunked.request.headers  # really streamed

    huge = b'{"investigation_id": "' + b"x" * (1 << 20) + b'"}'
    response = await client.post(INFER, content=pieces(huge, 1 << 16))
    assert response.status_code == 413
    error = response.json()
    assert error["kind"] == "invalid"
    assert error["error"].endswith(f"bytes is over the limit of {1 << 20} bytes")
    metrics = (await client.get("/metrics")).text
    for status in (200, 413, 415):
        assert f'fortress_gateway_requests_total{{endpoint="{INFER}",status="{status}"}}' in metrics


async def test_a_bug_behind_the_inference_route_is_a_500_without_internals(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, platform = gateway

    async def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(platform.service, "infer", broken)
    response = await client.post(INFER, json=investigation("bug"))
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error", "kind": "failed"}
    assert "secret" not in response.text


JSON_HEADERS = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("headers", "body", "words"),
    [
        ({}, orjson.dumps(investigation()), ["no Content-Type"]),
        (
            {"content-type": "application/json; charset=utf-16"},
            orjson.dumps(investigation()).decode().encode("utf-16"),
            ["UTF-8", "'utf-16'"],
        ),
        (
            {"content-type": 'application/json; charset="latin-1"'},
            orjson.dumps(investigation()),
            ["UTF-8", "'latin-1'"],
        ),
        ({"content-type": "application/jsonx"}, orjson.dumps(investigation()), ["send JSON"]),
    ],
    ids=["missing", "utf-16", "latin-1", "other-type"],
)
async def test_a_body_is_utf8_json_with_its_content_type_said_or_a_415(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes, words: list[str]
) -> None:
    for path in (INFER, f"{INFER}/batch"):
        response = await client.post(path, content=body, headers=headers)
        assert response.status_code == 415, response.text
        assert response.json()["kind"] == "invalid"
        for word in words:
            assert word in response.json()["error"]
    ok = {"content-type": "application/json; charset=UTF-8"}
    assert (await client.post(INFER, content=orjson.dumps(investigation()), headers=ok)).status_code == 200


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (investigation(cache_enabled="yes"), ["cache_enabled", "valid boolean"]),
        (investigation(cache_enabled=1), ["cache_enabled", "valid boolean"]),
        ({"investigation_id": "x", "features": {"tiny": {**TINY, "x": True}}}, ["tiny.x: expected a number"]),
        ({"investigation_id": "x", "features": {"tiny": {**TINY, "proto": 5}}}, ["tiny.proto: expected"]),
        (investigation(entities={"user_id": 17}), ["entities.user_id"]),
    ],
    ids=["cache-yes", "cache-1", "true-number", "int-category", "int-entity"],
)  # fmt: skip
async def test_values_are_never_coerced(
    client: httpx.AsyncClient, body: dict[str, Any], words: list[str]
) -> None:
    response = await client.post(INFER, content=orjson.dumps(body), headers=JSON_HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["kind"] == "unprocessable"
    for word in words:
        assert word in response.json()["error"]


@pytest.mark.parametrize("bad", ["inv-\x1b[31mred", "inv\n2", "inv\x00", "inv\x7f", "inv\x85next", "\t"])
async def test_an_investigation_id_with_control_characters_is_refused_and_never_echoed(
    client: httpx.AsyncClient, bad: str
) -> None:
    for path, body in (
        (INFER, investigation(bad)),
        (f"{INFER}/batch", {"investigations": [investigation("fine"), investigation(bad)]}),
    ):
        response = await client.post(path, content=orjson.dumps(body), headers=JSON_HEADERS)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert "investigation_id" in error
        assert bad not in error
        assert bad.encode() not in response.content
        assert orjson.dumps(bad)[1:-1].decode() not in error  # not even JSON-escaped


class Counting:
    """Delegates to ``inner`` and counts the calls (the expensive paths a bounded request never enters)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0

    def validate_python(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.inner.validate_python(*args, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.inner(*args, **kwargs)


OVERSIZED = [
    ({"investigation_id": "x", "features": {"tiny": [0] * 500_000}}, ["tiny: 500000 records", "at most 256"]),
    (
        {"investigation_id": "x", "features": {"tiny": {f"f{i}": 0 for i in range(60_000)}}},
        ["tiny: a record has 60000 fields", "at most 67"],
    ),
    ({"investigation_id": "x", "features": {f"g{i}": {} for i in range(50_000)}}, ["50000 feature groups"]),
    ({"investigation_id": "x", "features": {"tiny": TINY}, "models": ["m"] * 200_000}, ["models: 200000"]),
    (
        {"investigation_id": "x", "features": {"tiny": TINY}, **{f"k{i}": 0 for i in range(60_000)}},
        ["60002 fields", "at most these 5"],
    ),
    ({"investigation_id": "x", "features": {"tiny": [TINY, 5]}}, ["tiny[1]: a record is a JSON object"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "words"), OVERSIZED, ids=lambda v: str(v)[:20] if isinstance(v, list) else None
)
async def test_oversized_containers_are_refused_before_any_per_element_validation(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, body: dict[str, Any], words: list[str]
) -> None:
    import fortress.gateway.http.api as api
    import fortress.gateway.plan as plan

    validator, encoder = Counting(api.REQUEST), Counting(plan.encode_records)
    monkeypatch.setattr(api, "REQUEST", validator)
    monkeypatch.setattr(plan, "encode_records", encoder)
    content = orjson.dumps(body)
    assert len(content) <= 1 << 20
    response = await client.post(INFER, content=content, headers=JSON_HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["kind"] == "unprocessable"
    for word in words:
        assert word in response.json()["error"]
    assert (validator.calls, encoder.calls) == (0, 0)
    ok = await client.post(INFER, content=orjson.dumps(investigation("bounded")), headers=JSON_HEADERS)
    assert ok.status_code == 200
    assert (validator.calls, encoder.calls) == (1, 3)  # the normal path runs both (3 models)


async def test_an_oversized_batch_is_refused_before_validation(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fortress.gateway.http.api as api

    validator = Counting(api.BATCH_REQUEST)
    monkeypatch.setattr(api, "BATCH_REQUEST", validator)
    oversized_record = {"investigation_id": "b", "features": {"tiny": [0] * 900}}
    for body, status, words in (
        ({"investigations": [{}] * 200_000}, 400, ["200000 investigations", "at most 64"]),
        (
            {"investigations": [investigation("a"), oversized_record]},
            422,
            ["investigations[1]: tiny: 900 records"],
        ),
    ):  # fmt: skip
        response = await client.post(f"{INFER}/batch", content=orjson.dumps(body), headers=JSON_HEADERS)
        assert response.status_code == status, response.text
        for word in words:
            assert word in response.json()["error"]
    assert validator.calls == 0


async def test_long_strings_are_refused_by_length_before_any_per_character_work(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fortress.catalog.encode as encode

    normalized = Counting(encode.normalize_text)
    monkeypatch.setattr(encode, "normalize_text", normalized)
    for features, words in (
        ({"url": {"url": "h" * 900_000}}, ["url.url: 900000 characters", "at most 65536"]),
        ({"tiny": {**TINY, "proto": "t" * 300}}, ["tiny.proto: 300 characters", "at most 256"]),
    ):
        body = orjson.dumps({"investigation_id": "x", "features": features})
        response = await client.post(INFER, content=body, headers=JSON_HEADERS)
        assert response.status_code == 422, response.text
        for word in words:
            assert word in response.json()["error"]
    assert normalized.calls == 0


async def test_health_shows_states_but_no_file_paths(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform], shared_home: Settings
) -> None:
    client, _ = gateway
    answer = await client.get("/health")
    assert answer.json()["events"] == {
        "ok": True,
        "kind": "file",
        "detail": "appending to the local audit log",
        "spooled": 0,
    }
    home = str(shared_home.home)
    assert home not in answer.text
    assert "events.jsonl" not in answer.text
    assert home.replace("/", "\\/") not in answer.text


async def test_event_ids_are_a_process_prefix_and_a_counter_as_docs_audit_says(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, platform = gateway
    events = platform.service.events
    ids: list[str] = []
    emit = events.emit
    monkeypatch.setattr(events, "emit", lambda event: (ids.append(event.event_id), emit(event))[-1])
    for i in range(3):
        body = investigation(f"inv-ids-{i}", cache_enabled=False)
        assert (await client.post(INFER, json=body)).status_code == 200
    assert len(ids) == 3
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len({i[:16] for i in ids}) == 1
    numbers = [int(i[16:], 16) for i in ids]
    assert numbers == list(range(numbers[0], numbers[0] + 3))
