"""Result-cache keys: stable across processes, sensitive to every input, unambiguous."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fortress.gateway.cache.keys import canonical_json, result_key

REQUEST = {"features": {"bytes_out": 1024, "port": 443, "ratio": 0.1}, "models": ["a", "b"], "x": None}
VERSIONS = {"malware_classifier": 3, "phishing_detector": 12}

_IN_CHILD = """
import sys
from pathlib import Path
from fortress.gateway.cache.keys import canonical_json, result_key
request = {"x": None, "models": ["a", "b"], "features": {"ratio": 0.1, "port": 443, "bytes_out": 1024}}
sys.stdout.write(result_key(canonical_json(request), {"phishing_detector": 12, "malware_classifier": 3}))
"""


def _key_in_a_new_process(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", _IN_CHILD], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def test_the_same_request_gives_the_same_key_in_other_processes() -> None:
    here = result_key(canonical_json(REQUEST), VERSIONS)
    # Different hash seeds: hash() of the same str differs between these two processes.
    assert _key_in_a_new_process("1") == here
    assert _key_in_a_new_process("2") == here


def test_the_key_format_is_stable() -> None:
    """Changing the framing or hash invalidates every cached entry: do it on purpose (KEY_FORMAT)."""
    assert canonical_json(REQUEST) == (
        b'{"features":{"bytes_out":1024,"port":443,"ratio":0.1},"models":["a","b"],"x":null}'
    )
    key = result_key(canonical_json(REQUEST), VERSIONS)
    assert key == "07d5dc9c832ebfce7332a8d84354212cb6040f0c2ac34720b5700198a964844e"

    def framed(data: bytes) -> bytes:
        return len(data).to_bytes(8, "big") + data

    spelled_out = (
        framed(canonical_json(REQUEST))
        + (2).to_bytes(8, "big")  # number of (model, version) pairs, then the pairs sorted by model
        + framed(b"malware_classifier")
        + framed(b"3")
        + framed(b"phishing_detector")
        + framed(b"12")
    )
    assert key == hashlib.blake2b(spelled_out, digest_size=32, person=b"fortress-rk-v1").hexdigest()


def test_dict_key_order_does_not_matter() -> None:
    reordered = {"x": None, "models": ["a", "b"], "features": {"ratio": 0.1, "port": 443, "bytes_out": 1024}}
    assert canonical_json(reordered) == canonical_json(REQUEST)
    versions_reordered = dict(reversed(VERSIONS.items()))
    assert result_key(canonical_json(reordered), versions_reordered) == result_key(
        canonical_json(REQUEST), VERSIONS
    )


@pytest.mark.parametrize(
    "request_body",
    [
        {**REQUEST, "x": 0},
        {**REQUEST, "models": ["b", "a"]},  # list order is meaningful
        {**REQUEST, "features": {"bytes_out": 1024, "port": 443, "ratio": 0.10000000000000002}},
        {**REQUEST, "features": {"bytes_out": 1024.0, "port": 443, "ratio": 0.1}},  # 1024.0 is not 1024
        {**REQUEST, "extra": True},
        {k: v for k, v in REQUEST.items() if k != "x"},
    ],
)
def test_any_change_in_the_request_changes_the_key(request_body: dict[str, object]) -> None:
    assert result_key(canonical_json(request_body), VERSIONS) != result_key(canonical_json(REQUEST), VERSIONS)


@pytest.mark.parametrize(
    "versions",
    [
        {"malware_classifier": 4, "phishing_detector": 12},  # a new version of one model
        {"malware_classifier": 3, "phishing_detector": 13},
        {"malware_classifier": 3},  # a model left out
        {**VERSIONS, "dga_detector": 1},  # a model added
        {"malware_classifier": 3, "phishing_detectoR": 12},  # another model name
    ],
)
def test_any_change_in_model_versions_changes_the_key(versions: dict[str, int]) -> None:
    assert result_key(canonical_json(REQUEST), versions) != result_key(canonical_json(REQUEST), VERSIONS)


def test_framing_is_unambiguous() -> None:
    """Inputs whose fields concatenate to the same bytes must still give different keys."""
    base = (b'{"a":1}', {"m": 12})
    crafted = [
        (b'{"a":1}', {"m1": 2}),
        (b'{"a":1}', {"m": 1, "2": 0}),
        (b'{"a":1}m', {"": 12}),
        (b'{"a":1}m12', {}),
        (b'{"a":1}\x00m\x0012', {}),
        (b'{"a":1}' + (1).to_bytes(8, "big") + b"m", {"": 12}),
        (b'{"a":1}' + (1).to_bytes(8, "big") + (1).to_bytes(8, "big") + b"m", {"": 12}),
        (b"", {'{"a":1}m': 12}),
        (b'{"a":', {"1}m": 12}),
    ]
    keys = {result_key(request, versions) for request, versions in [base, *crafted]}
    assert len(keys) == 1 + len(crafted)


def test_a_key_is_a_256_bit_hex_digest() -> None:
    key = result_key(b"{}", {})
    assert re.fullmatch(r"[0-9a-f]{64}", key), key  # 32 bytes, lower-case hex


def test_versions_must_be_integers() -> None:
    with pytest.raises(TypeError):
        result_key(b"{}", {"m": 1.5})  # type: ignore[dict-item]


def test_what_json_cannot_hold_is_refused() -> None:
    with pytest.raises(TypeError):
        canonical_json({"rows": {1, 2}})


def test_the_example_in_docs_cache_md_runs() -> None:
    doc = (Path(__file__).resolve().parents[4] / "docs" / "CACHE.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], "docs/CACHE.md", "exec"), {})
