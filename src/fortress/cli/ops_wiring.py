"""What ``fortress backup`` and ``fortress dr`` hand to ``fortress.ops``, built from the settings: the
paths of the home's stores, the champion fingerprint's investigations and in-process answers (the
gateway service itself, without HTTP), and a gateway process on a restored home for the drill."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from fortress.catalog.spec import ModelSpec
from fortress.ops.backup import Fingerprinting
from fortress.ops.drill import Gateway
from fortress.ops.errors import OpsFailed
from fortress.ops.fingerprint import Investigations
from fortress.ops.location import Location, location
from fortress.ops.stores.base import Source, Target
from fortress.ops.stores.files import AUDIT, FEATURES, INFERENCE_LOG, KEYS
from fortress.registry.base import ModelRegistry
from fortress.settings import Settings

DRILL_KEY_NAME = "fortress-dr-drill"


def s3_endpoint(settings: Settings) -> str | None:
    return settings.ops.s3_endpoint_url or settings.registry.s3_endpoint_url


def default_location(settings: Settings, given: str | None) -> Location:
    home = settings.home.expanduser().resolve()
    text = given or settings.ops.backup_dir or str(home.with_name(f"{home.name}-backups"))
    return location(text, s3_endpoint(settings))


def store_paths(
    settings: Settings, home: Path, *, audit: bool = True, inference_log: bool = True
) -> dict[str, Path]:
    from fortress.gateway.auth.keys import keys_path

    paths = {
        FEATURES: settings.features.repo_root(home),
        KEYS: keys_path(home, settings.gateway.auth),
    }
    if audit and settings.gateway.events.sink == "file":
        paths[AUDIT] = settings.gateway.events.log_path(home)
    log = settings.monitoring.inference_log
    if inference_log and log.sink == "parquet":
        paths[INFERENCE_LOG] = log.log_dir(settings.features.repo_root(home))
    return {name: path.expanduser().resolve() for name, path in paths.items()}


def backup_source(settings: Settings, key: bytes | None, *, audit: bool, inference_log: bool) -> Source:
    home = settings.home.expanduser().resolve()
    return Source(
        home=home,
        tracking_uri=settings.tracking_uri(),
        s3_endpoint_url=settings.registry.s3_endpoint_url,
        paths=store_paths(settings, home, audit=audit, inference_log=inference_log),
        config=settings.model_dump(),
        key=key,
    )


def restore_target(settings: Settings, home: Path, *, force: bool, tracking_uri: str | None = None) -> Target:
    home = home.expanduser().resolve()
    uri = tracking_uri or settings.registry.store_uri(home)
    return Target(home, home, uri, store_paths(settings, home), force, settings.registry.s3_endpoint_url)


def investigations(names: list[str], count: int) -> Investigations:
    """``count`` simulator investigations over every named model of the reference catalog."""
    from fortress.catalog import get_spec, model_names
    from fortress.gateway.example import example_investigation

    specs = [get_spec(n) for n in names if n in set(model_names())]
    if not specs:
        return []
    return [example_investigation(specs, f"fingerprint-{i:03d}", seed=1000 + i) for i in range(count)]


def in_process_answers(settings: Settings, registry: ModelRegistry) -> Fingerprinting:
    """The gateway service on this process, audit events to a scratch file, drift counting and the
    inference log off."""

    def answer(batch: Investigations) -> list[dict[str, Any]]:
        from fortress.gateway.platform import build_platform
        from fortress.gateway.schema import InferenceRequest

        with tempfile.TemporaryDirectory(prefix="fortress-fingerprint-") as tmp:
            gateway = settings.gateway.model_copy(
                update={
                    "events": settings.gateway.events.model_copy(
                        update={"sink": "file", "path": Path(tmp) / "events.jsonl"}
                    ),
                    "feature_store": False,
                }
            )
            # drift off, and nothing of the fingerprint's investigations in the home's inference log
            log = settings.monitoring.inference_log.model_copy(update={"enabled": False})
            monitoring = settings.monitoring.model_copy(update={"drift_enabled": False, "inference_log": log})
            scoped = settings.model_copy(update={"gateway": gateway, "monitoring": monitoring})
            platform = build_platform(scoped, registry)

            async def run() -> list[dict[str, Any]]:
                await platform.start()
                try:
                    out = []
                    for item in batch:
                        request = InferenceRequest.model_validate(item)
                        out.append(orjson.loads(await platform.service.infer(request, "fortress-backup")))
                    return out
                finally:
                    await platform.aclose()

            return asyncio.run(run())

    return Fingerprinting(
        lambda names: investigations(names, settings.ops.fingerprint_investigations), answer
    )


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gateway_process(settings: Settings, home: Path, tracking_uri: str) -> Iterator[Gateway]:
    """``fortress up --no-train`` on ``home`` (one worker, a free port), with a fresh API key created in
    the restored key store; stopped with SIGINT (then SIGKILL) on exit."""
    import httpx

    from fortress.gateway.auth.keys import key_store

    headers: dict[str, str] = {}
    if settings.gateway.auth.enabled:
        _, key = key_store(home, settings.gateway.auth).create(DRILL_KEY_NAME, ["inference"])
        headers["X-API-Key"] = key
    port = _free_port()
    replaced = (
        "FORTRESS_HOME",
        "FORTRESS_REGISTRY__TRACKING_URI",
        "FORTRESS_GATEWAY__PORT",
        "FORTRESS_GATEWAY__HOST",
    )
    env = {k: v for k, v in os.environ.items() if k.upper() not in replaced}
    env.update({"FORTRESS_HOME": str(home), "FORTRESS_REGISTRY__TRACKING_URI": tracking_uri})
    cmd = [
        sys.executable,
        "-m",
        "fortress.cli.main",
        "up",
        "--no-train",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log = home / "dr-drill-gateway.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=out, env=env, cwd=home)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + settings.ops.drill_ready_timeout_s
        while True:
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-1500:]
                raise OpsFailed(f"the restored gateway exited with {proc.returncode}: {tail}")
            try:
                if httpx.get(f"{url}/health/ready", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise OpsFailed(
                    f"the restored gateway was not ready after {settings.ops.drill_ready_timeout_s} s"
                )
            time.sleep(0.05)
        yield Gateway(url, headers)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def inference_log_dir(settings: Settings) -> Path:
    """The home's Parquet inference log (``monitoring.inference_log``)."""
    return settings.monitoring.inference_log.log_dir(settings.features.repo_root(settings.home))


def ensemble_verdict(settings: Settings) -> Callable[[Sequence[tuple[str, float, float]]], str]:
    """The gateway's own vote (gateway/ensemble.py) on (member, weight, risk) answers -> the verdict."""
    from fortress.gateway.ensemble import Vote, vote

    ensemble = settings.gateway.ensemble

    def verdict_of(answers: Sequence[tuple[str, float, float]]) -> str:
        votes = [Vote(model, weight, risk) for model, weight, risk in answers]
        return str(vote(votes, sum(v.weight for v in votes), ensemble)["verdict"])

    return verdict_of


def served_specs(settings: Settings) -> Callable[[str, int], ModelSpec | None]:
    """(model, version) -> the spec that version was served with (the registry's; the catalog's when
    the registry no longer has it; ``None`` for a model neither knows). The registry opens on first use."""
    from fortress.catalog import get_spec
    from fortress.cli.common import open_registry
    from fortress.errors import FortressError

    found: dict[tuple[str, int], ModelSpec | None] = {}
    opened: list[ModelRegistry] = []

    def spec_of(model: str, version: int) -> ModelSpec | None:
        key = (model, version)
        if key not in found:
            try:
                if not opened:
                    opened.append(open_registry(settings))
                found[key] = opened[0].fetch(model, version).spec
            except FortressError:
                try:
                    found[key] = get_spec(model)
                except FortressError:
                    found[key] = None
        return found[key]

    return spec_of
