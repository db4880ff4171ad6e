"""The whole reference ensemble on the real datasets, through the real command line.

One registry is trained once per session (``fortress up`` with FORTRESS_DATASETS_DIR set trains what
is missing, i.e. all twelve, then serves the gateway: the curl it prints is run, then Ctrl-C) and then
inspected by the other commands.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from fortress.catalog import get_spec, model_names
from fortress.catalog.encode import encode_records
from support.cli import fortress, one_error_line
from support.serve_process import serve
from support.shapes import json_shape
from support.up_process import fortress_up

UP_LIMIT = 1500
"""How long ``fortress up`` may take to train all twelve models and start serving (first_up's limit)."""
# pytest-timeout's per-test limit (600 s, pyproject.toml) also counts fixture setup, and the first test of
# this module pays for first_up: every test here gets first_up's own limits (start, curls, stop) on top.
pytestmark = pytest.mark.timeout(UP_LIMIT + 300 + 600)


@dataclass(frozen=True, slots=True)
class FirstUp:
    home: Path
    output: str
    answer: dict[str, Any]
    """What the printed curl command got back."""
    key: str


@pytest.fixture(scope="module")
def first_up(tmp_path_factory: pytest.TempPathFactory, shared_datasets: Path) -> FirstUp:
    home = tmp_path_factory.mktemp("ensemble")
    with fortress_up(home, env={"FORTRESS_DATASETS_DIR": str(shared_datasets)}, timeout=UP_LIMIT) as up:
        key = up.api_key()
        assert key is not None, up.output()
        curl = subprocess.run(up.curl(), capture_output=True, text=True, timeout=60, check=True)
        answer = json.loads(curl.stdout)
        readme = readme_gateway_curl(up.url, key, home)
        again = json.loads(
            subprocess.run(readme, capture_output=True, text=True, timeout=60, check=True).stdout
        )
        # The README's curl gets the whole answer the printed one got: same keys, lengths and types
        # everywhere, and the same predictions (the cached flag and latencies may differ).
        assert json_shape(again) == json_shape(answer)
        assert again["investigation_id"] == answer["investigation_id"]
        assert again["predictions"] == answer["predictions"]
        assert again["ensemble"] == answer["ensemble"]
        assert up.stop() == 0, up.output()[-3000:]
        output = up.output()
    assert "Traceback" not in output, output[-3000:]
    return FirstUp(home, output, answer, key)


@pytest.fixture(scope="module")
def trained_home(first_up: FirstUp) -> Path:
    return first_up.home


def readme_gateway_curl(url: str, key: str, home: Path) -> list[str]:
    """The README's gateway curl, pointed at this gateway, its key and its FORTRESS_HOME."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            if line.startswith("curl ") and "127.0.0.1:8000" in line:
                argv = shlex.split(line.split("  #")[0])
                return [
                    a.replace("http://127.0.0.1:8000", url)
                    .replace("fk_…", key)
                    .replace(".fortress/", f"{home}/")
                    for a in argv
                ]
    raise AssertionError("README has no gateway curl example")


def test_up_trains_all_twelve_then_serves_them_through_the_printed_curl(first_up: FirstUp) -> None:
    output = first_up.output
    assert "training 12 on" in output
    for name in model_names():
        assert re.search(rf"^\[\d+/12\] {name}$", output, re.M), name
    workers = len(os.sched_getaffinity(0))  # the default: one worker per usable CPU core
    expected = f"{workers} worker process{'es' if workers > 1 else ''}"
    assert re.search(rf"^Fortress gateway on http://127\.0\.0\.1:\d+, {expected} ", output, re.M), output
    assert "gateway stopped" in output
    answer = first_up.answer
    assert set(answer["predictions"]) == set(model_names())
    assert answer["degraded"] is False
    assert answer["unavailable"] == {}
    assert answer["ensemble"]["verdict"] in {"benign", "suspicious", "malicious"}
    for name, prediction in answer["predictions"].items():
        assert (prediction["version"], prediction["route"]) == (1, "champion"), name
        assert abs(sum(prediction["probabilities"].values()) - 1.0) < 1e-4, name
        assert 0.0 <= prediction["risk"] <= 1.0
    weightless = {d["model"] for d in answer["ensemble"]["drivers"]} ^ set(model_names())
    assert weightless == set(answer["ensemble"]["abstained"]) == {"writing_style"}


def test_all_twelve_registered_as_champions_on_real_or_simulated_data(trained_home: Path) -> None:
    listing = fortress(trained_home, "models", "list", "--json")
    assert listing.returncode == 0, listing.stderr
    models = {m["name"]: m for m in json.loads(listing.stdout)}
    assert set(models) == set(model_names())
    simulated_only = {"identity_correlator", "behavior_analyzer", "image_analyzer", "login_anomaly"}
    for name, entry in models.items():
        assert entry["aliases"] == {"champion": 1}, name
        assert entry["headline_value"] is not None
        assert entry["data_kind"] == ("simulated" if name in simulated_only else "real"), name
        metrics = entry["versions"][0]["metrics"]
        assert metrics["onnx_parity_max_abs_diff"] <= 1e-4
    assert models["threat_classifier"]["data_name"] == "nsl-kdd"
    assert models["threat_classifier"]["headline_metric"] == "binary_accuracy"
    assert models["dga_detector"]["versions"][0]["metrics"]["group_holdout_roc_auc"] > 0.5


def test_second_up_reuses_the_registry_and_the_key(first_up: FirstUp) -> None:
    with fortress_up(first_up.home) as up:
        assert up.api_key() is None  # the first start's key still works; no new one is printed
        body = json.loads((first_up.home / "example-investigation.json").read_text())
        response = httpx.post(f"{up.url}/api/v1/inference", json=body, headers={"X-API-Key": first_up.key})
        assert response.status_code == 200, response.text
        assert response.json()["predictions"].keys() == first_up.answer["predictions"].keys()
        assert "fortress keys create" in up.output()
        assert up.stop() == 0
    assert "reusing it" in up.output()


def test_fortress_serve_serves_all_twelve_as_the_gateway_scores_them(first_up: FirstUp) -> None:
    """``fortress serve`` without ``--models`` loads every registered champion, and each one answers a
    TF Serving columnar predict of the example investigation's record with the probabilities the
    gateway gave for it (before any retraining in this module)."""
    body = json.loads((first_up.home / "example-investigation.json").read_text())
    with serve(first_up.home) as server:
        deadline = time.monotonic() + 120
        for name in model_names():
            while httpx.get(f"{server.url}/v2/models/{name}/ready").status_code != 200:
                assert time.monotonic() < deadline, f"{name} not ready: {server.output()[-3000:]}"
                time.sleep(0.2)
        for name in model_names():
            spec = get_spec(name)
            given = body["features"][spec.feature_group]
            feeds = encode_records(spec, given if isinstance(given, list) else [given])
            request = {"inputs": {tensor: value.tolist() for tensor, value in feeds.items()}}
            response = httpx.post(f"{server.url}/v1/models/{name}:predict", json=request, timeout=30)
            assert response.status_code == 200, (name, response.text)
            gateway = first_up.answer["predictions"][name]["probabilities"]
            assert response.json()["outputs"][0] == pytest.approx(list(gateway.values()), abs=1e-5), name


def test_retraining_registers_staging_then_alias_and_fetch(
    trained_home: Path, shared_datasets: Path, tmp_path: Path
) -> None:
    result = fortress(
        trained_home, "train", "--models", "malware_classifier", "--datasets-dir", str(shared_datasets)
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"malware_classifier\s+v2\s+staging", result.stdout)
    assert "total:" in result.stdout

    promoted = fortress(trained_home, "models", "alias", "malware_classifier", "champion", "2")
    assert promoted.stdout.strip() == "malware_classifier@champion -> version 2"
    shown = fortress(trained_home, "models", "alias", "malware_classifier", "champion")
    assert shown.stdout.strip() == "malware_classifier@champion -> version 2"
    deleted = fortress(trained_home, "models", "alias", "malware_classifier", "staging", "--delete")
    assert deleted.returncode == 0
    assert "not in the registry" in one_error_line(
        fortress(trained_home, "models", "alias", "malware_classifier", "staging")
    )
    assert "not in the registry" in one_error_line(
        fortress(trained_home, "models", "alias", "malware_classifier", "champion", "9")
    )

    target = tmp_path / "malware.onnx"
    fetched = fortress(
        trained_home, "models", "fetch", "malware_classifier", "--ref", "champion", "--to", str(target)
    )
    assert fetched.returncode == 0, fetched.stderr
    info = json.loads(fetched.stdout)
    assert info["version"] == 2
    assert info["inputs"] == ["numeric"]

    import onnxruntime as ort

    session = ort.InferenceSession(target.read_bytes())
    proba = session.run(["probabilities"], {"numeric": np.zeros((3, 53), dtype=np.float32)})[0]
    assert proba.shape == (3, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)


def test_docs_models_is_generated_from_the_registry(trained_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "MODELS.md"
    result = fortress(trained_home, "docs", "models", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    for name in model_names():
        assert f"### {name}" in text
    assert "Tavallaee" in text
    assert "**Fortress threat_classifier**" in text
