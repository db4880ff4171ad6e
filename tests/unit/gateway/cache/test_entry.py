"""The cache entry codec: round trips, every kind of corrupt entry, and a corrupt entry in the gateway's
real memory cache answered uncached (never a 500)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from fortress.errors import ErrorKind
from fortress.gateway.cache import CacheCorrupt, CachedResult, CacheUnavailable, MemoryResultCache
from fortress.gateway.platform import GatewayPlatform
from fortress.gateway.schema import InferenceRequest
from fortress.gateway.settings import GatewaySettings
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.gateway import gateway_candidates, gateway_client, investigation, register_gateway_models

INFER = "/api/v1/inference"


@pytest.mark.parametrize(
    "body",
    [
        b'{"predictions":{}}',
        b'{"note":"line one\nline two"}',  # a raw newline in the body: only the first one splits
        '{"label":"hameçonnage 🎣","risk":0.5}'.encode(),
        b"{}",
    ],
)
def test_an_entry_decodes_to_what_was_encoded(body: bytes) -> None:
    entry = CachedResult("suspicious", 0.4375, body)
    assert CachedResult.decode(entry.encode()) == entry


def test_the_header_is_one_json_line_whatever_the_verdict_holds() -> None:
    entry = CachedResult("odd\nverdict ✓", 1.0, b"{}")
    raw = entry.encode()
    assert raw.count(b"\n") == 1
    assert orjson.loads(raw.split(b"\n")[0]) == {"verdict": "odd\nverdict ✓", "risk": 1.0}
    assert CachedResult.decode(raw) == entry


def test_an_integer_risk_reads_as_a_float() -> None:
    decoded = CachedResult.decode(b'{"verdict":"benign","risk":0}\n{}')
    assert decoded.risk == 0.0
    assert isinstance(decoded.risk, float)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"", "no header line"),
        (b'{"verdict":"benign","risk":0.1}', "no header line"),
        (b"not json\n{}", "not JSON"),
        (b'{"verdict":"benign","risk":0.1\n{}', "not JSON"),
        (b'["benign",0.1]\n{}', "not a JSON object"),
        (b'{"risk":0.1}\n{}', "verdict is not a string"),
        (b'{"verdict":"benign"}\n{}', "risk is not a number"),
        (b'{"verdict":7,"risk":0.1}\n{}', "verdict is not a string"),
        (b'{"verdict":"benign","risk":"0.1"}\n{}', "risk is not a number"),
        (b'{"verdict":"benign","risk":true}\n{}', "risk is not a number"),
        (b'{"verdict":"benign","risk":0.1}\n', "body is not a JSON object"),
        (b'{"verdict":"benign","risk":0.1}\n{"predictions":', "body is not a JSON object"),
        (b"\xff\xfe\n{}", "not JSON"),
    ],
)
def test_a_corrupt_entry_raises_cache_corrupt(raw: bytes, words: str) -> None:
    with pytest.raises(CacheCorrupt, match=words):
        CachedResult.decode(raw)


def test_cache_corrupt_is_a_cache_unavailable() -> None:
    assert issubclass(CacheCorrupt, CacheUnavailable)
    assert CacheCorrupt.kind is ErrorKind.UNAVAILABLE


# ---- in the gateway ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def gateway(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> AsyncIterator[tuple[httpx.AsyncClient, GatewayPlatform]]:
    home = tmp_path_factory.mktemp("entry") / "home"
    (home / "registry").mkdir(parents=True)
    shutil.copy(sqlite_template, home / "registry" / "mlflow.db")
    open_gateway = GatewaySettings(auth={"enabled": False}, rate_limit={"enabled": False})
    settings = Settings(home=home, datasets_dir=None, registry=RegistrySettings(), gateway=open_gateway)
    register_gateway_models(settings, gateway_candidates())
    async with gateway_client(settings) as pair:
        yield pair


def _cache_errors(metrics: str) -> float:
    """``fortress_gateway_cache_total{outcome="error"}`` in a /metrics text (0 before the first)."""
    prefix = 'fortress_gateway_cache_total{outcome="error"} '
    return sum(float(line.removeprefix(prefix)) for line in metrics.splitlines() if line.startswith(prefix))


@pytest.mark.anyio
async def test_a_corrupt_entry_is_answered_uncached_counted_and_replaced(
    gateway: tuple[httpx.AsyncClient, GatewayPlatform],
) -> None:
    client, platform = gateway
    cache = platform.service.cache
    assert isinstance(cache, MemoryResultCache)  # the default, real one
    request = investigation("inv-entry")
    first = await client.post(INFER, json=request)
    assert first.status_code == 200
    assert first.json()["cached"] is False
    key = platform.service.plan(InferenceRequest.model_validate(request)).cache_key
    assert key is not None
    assert (await client.post(INFER, json=request)).json()["cached"] is True
    errors_before = _cache_errors((await client.get("/metrics")).text)

    for corrupt in (b"half an entry", b'{"verdict":"benign"}\n{}'):
        await cache.set(key, corrupt, 300)
        again = await client.post(INFER, json=request)
        assert again.status_code == 200, again.text
        body = again.json()
        assert body["cached"] is False
        assert body["predictions"] == first.json()["predictions"]
        assert body["ensemble"] == first.json()["ensemble"]
        stored = await cache.get(key)
        assert stored is not None
        assert CachedResult.decode(stored).verdict == body["ensemble"]["verdict"]  # rewritten
        assert (await client.post(INFER, json=request)).json()["cached"] is True

    assert _cache_errors((await client.get("/metrics")).text) == errors_before + 2
