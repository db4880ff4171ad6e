"""`make run` on a fresh machine: no datasets configured, so ``fortress up`` trains all twelve models on
the simulator, prints a key and a curl that gets twelve predictions, and stops on Ctrl-C; a second
start reuses what the first trained and its key (README, "Quick start")."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from fortress.catalog import model_names
from support.up_process import fortress_up

TRAIN_LIMIT = 1500
"""How long training the twelve models on the simulator may take before the gateway is live (seen:
a few minutes on the 2-core machine)."""

pytestmark = [pytest.mark.slow, pytest.mark.timeout(TRAIN_LIMIT + 600)]


def test_up_on_a_fresh_home_trains_on_the_simulator_then_a_second_start_reuses_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with fortress_up(home, timeout=TRAIN_LIMIT) as up:  # FORTRESS_DATASETS_DIR is not passed on
        output = up.output()
        assert "registry has 0 of 12 models; training 12 on the simulator" in output, output[-3000:]
        key = up.api_key()
        assert key is not None, output[-3000:]
        done = subprocess.run(up.curl(), capture_output=True, text=True, timeout=60, check=True)
        answer = json.loads(done.stdout)
        assert sorted(answer["predictions"]) == sorted(model_names()), answer
        assert answer["degraded"] is False, answer
        assert up.stop() == 0, up.output()[-3000:]
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
