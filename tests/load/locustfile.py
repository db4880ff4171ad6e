"""Load test of the gateway (blueprint 2.1's load-testing step): investigations at the API with a health
check now and then; any non-200 answer is a failure.

    locust -f tests/load/locustfile.py --host http://127.0.0.1:8000 --headless \
        --users 100 --spawn-rate 10 --run-time 5m

The investigation sent is the JSON file named by ``LOAD_INVESTIGATION`` (default: the example
``fortress up`` writes, ``.fortress/example-investigation.json``); ``FORTRESS_API_KEY`` is sent as
``X-API-Key`` when set. CI runs it against staging; tests/e2e/test_load_locust.py runs it for 20 s
against a local ``fortress up``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task


def investigation() -> dict[str, Any]:
    path = Path(os.environ.get("LOAD_INVESTIGATION", ".fortress/example-investigation.json"))
    body: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return {**body, "cache_enabled": False}


class GatewayUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.body = investigation()
        key = os.environ.get("FORTRESS_API_KEY")
        self.headers = {"X-API-Key": key} if key else {}

    @task(10)
    def inference(self) -> None:
        with self.client.post(
            "/api/v1/inference", json=self.body, headers=self.headers, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            elif "verdict" not in response.text:
                response.failure("answer without a verdict")

    @task(1)
    def ready(self) -> None:
        self.client.get("/health/ready")
