"""A backup taken while a gateway process serves: no request fails, and the backup is whole."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from fortress.ops.restore import verify
from fortress.settings import Settings
from support.cli import FORTRESS, command_env
from support.up_process import fortress_up


# ~22 s, yet not marked slow: issue 16 wants the concurrent-traffic backup test in `make test`.
def test_backup_while_the_gateway_serves_fails_no_request(home: Settings, tmp_path: Path) -> None:
    unlimited = {"FORTRESS_GATEWAY__RATE_LIMIT__ENABLED": "false"}  # the senders alone would exceed it
    with fortress_up(home.home, "--no-train", "--workers", "1", env=unlimited) as up:
        key = up.api_key()
        assert key is not None, up.output()
        body = json.loads((home.home / "example-investigation.json").read_text())
        statuses: Counter[int] = Counter()
        errors: list[str] = []
        stop = threading.Event()

        def traffic() -> None:
            with httpx.Client(base_url=up.url, headers={"X-API-Key": key}, timeout=30) as client:
                while not stop.is_set():
                    try:
                        response = client.post("/api/v1/inference", json=body)
                        statuses[response.status_code] += 1
                        if response.status_code != 200 or response.json()["degraded"]:
                            errors.append(response.text[:300])
                    except httpx.HTTPError as exc:
                        errors.append(repr(exc))

        senders = [threading.Thread(target=traffic) for _ in range(4)]
        for sender in senders:
            sender.start()
        time.sleep(1.0)
        before = sum(statuses.values())
        backup = subprocess.run(
            [FORTRESS, "backup", "create", "--to", str(tmp_path / "b"), "--json"],
            capture_output=True, text=True, env=command_env(home.home), cwd=home.home, timeout=300,
            check=False,
        )  # fmt: skip
        during = sum(statuses.values()) - before
        time.sleep(0.5)
        stop.set()
        for sender in senders:
            sender.join(30)
        assert up.stop() == 0, up.output()[-3000:]
    assert backup.returncode == 0, backup.stderr
    assert errors == []
    assert set(statuses) == {200}
    assert during > 20, statuses  # requests really ran while the backup did
    manifest = json.loads(backup.stdout)
    folder = tmp_path / "b" / manifest["backup_id"]
    assert verify(folder).fingerprint["degraded"] == 0
    audit = next(f for f in manifest["files"] if f["store"] == "audit")
    lines = (folder / audit["path"]).read_text().splitlines()
    assert all(json.loads(line) for line in lines)  # every event whole, none cut mid-line
