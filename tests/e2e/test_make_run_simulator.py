"""`make run` on a fresh machine: no datasets configured, so ``fortress up`` (as `make run` starts it:
no options, port 8000) trains all twelve models on the simulator, prints a key and a curl that gets
twelve predictions, and on Ctrl-C finishes the requests in flight before it stops; a second start
reuses what the first trained and its key (README, "Quick start")."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from fortress.catalog import model_names
from support.up_process import Up, fortress_up

TRAIN_LIMIT = 1500
"""How long training the twelve models on the simulator may take before the gateway is live (seen:
about 7 minutes on the 2-core machine while four other jobs ran)."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(TRAIN_LIMIT + 600)]


def _ctrl_c_while_busy(up: Up, investigation: dict[str, Any], key: str) -> None:
    """Batches of 32 investigations (under the 1 MiB body limit) on 16 connections the gateway has
    accepted; Ctrl-C as soon as the first is answered: every one is still answered, and some were
    answered after the signal."""
    count, answered, connected = 16, threading.Event(), threading.Barrier(16)
    headers = {"X-API-Key": key}

    def call(i: int) -> tuple[int, float, str]:
        batch = [{**investigation, "investigation_id": f"inv-drain-{i}-{j}"} for j in range(32)]
        with httpx.Client(timeout=120, headers=headers) as client:
            assert client.get(f"{up.url}/health/live").status_code == 200
            connected.wait(timeout=30)
            response = client.post(f"{up.url}/api/v1/inference/batch", json={"investigations": batch})
        answered.set()
        return response.status_code, time.monotonic(), response.text[:300]

    with ThreadPoolExecutor(count) as pool:
        futures = [pool.submit(call, i) for i in range(count)]
        assert answered.wait(timeout=120)
        signalled = time.monotonic()
        up.proc.send_signal(signal.SIGINT)
        results = [f.result(timeout=180) for f in futures]
        assert up.proc.wait(60) == 0, up.output()[-3000:]
    assert [status for status, _, _ in results] == [200] * count, (results, up.output()[-3000:])
    after = sum(1 for _, done, _ in results if done > signalled)
    assert after >= 1, "every request was answered before Ctrl-C: nothing was in flight to drain"


def test_up_on_a_fresh_home_trains_on_the_simulator_then_a_second_start_reuses_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # FORTRESS_DATASETS_DIR is not passed on: the simulator it is
    with fortress_up(home, timeout=TRAIN_LIMIT, default_port=True) as up:
        output = up.output()
        assert "registry has 0 of 12 models; training 12 on the simulator" in output, output[-3000:]
        assert "Fortress gateway on http://127.0.0.1:8000" in output
        key = up.api_key()
        assert key is not None, output[-3000:]
        argv = up.curl()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)
        answer = json.loads(done.stdout)
        assert sorted(answer["predictions"]) == sorted(model_names()), answer
        assert answer["degraded"] is False, answer
        investigation = json.loads(Path(argv[argv.index("-d") + 1].removeprefix("@")).read_text())
        _ctrl_c_while_busy(up, investigation, key)
        assert "gateway stopped" in up.output()
    assert "Traceback" not in up.output()

    with fortress_up(home) as again:
        output = again.output()
        assert "registry already holds the reference ensemble; reusing it" in output, output[-3000:]
        assert again.api_key() is None  # the first start's key stays the key
        curl = [a.replace("$FORTRESS_API_KEY", key) for a in again.curl()]
        answer = json.loads(
            subprocess.run(curl, capture_output=True, text=True, timeout=60, check=True).stdout
        )
        assert sorted(answer["predictions"]) == sorted(model_names())
        assert again.stop() == 0, again.output()[-3000:]
