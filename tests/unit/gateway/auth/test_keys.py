"""ApiKeyStore: create/verify/revoke, hashes only, 0600 file, atomic locked writes, reload on change."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from pathlib import Path

import pytest

from fortress.errors import InvalidInput, NotFound
from fortress.gateway.auth import keys as keys_module
from fortress.gateway.auth.errors import KeyFileError
from fortress.gateway.auth.keys import RELOAD_INTERVAL_S, ApiKeyStore, keys_path, split_key
from fortress.gateway.auth.settings import AuthSettings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "auth" / "keys.json"


def test_created_key_verifies_and_only_its_hash_is_stored(path: Path) -> None:
    store = ApiKeyStore(path)
    record, key = store.create("ci pipeline", ["inference", "admin"])
    assert key.startswith(f"fk_{record.key_id}_")
    assert split_key(key) == (record.key_id, key.split("_", 2)[2])
    assert len(key.split("_", 2)[2]) >= 43  # 32 random bytes, base64url
    assert record.name == "ci pipeline"
    assert record.scopes == frozenset({"inference", "admin"})
    assert not record.revoked
    assert store.verify(key) == record

    text = path.read_text()
    assert key not in text
    assert key.split("_", 2)[2] not in text
    stored = json.loads(text)["keys"][0]
    assert set(stored) == {"key_id", "name", "scopes", "created_at", "revoked", "sha256"}
    assert len(stored["sha256"]) == 64


def test_file_is_private(path: Path) -> None:
    ApiKeyStore(path).create("a", ["inference"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "presented",
    [
        "",
        "fk_",
        "nonsense",
        "fk_0123456789ab_",
        "fk_0123456789ab",
        "fk_XYZ_secret",
        "Bearer fk_0123456789ab_secret",
        "fk_0123456789ab_" + "a" * 5000,
    ],
)
def test_malformed_keys_are_refused(path: Path, presented: str) -> None:
    store = ApiKeyStore(path)
    store.create("a", ["inference"])
    assert store.verify(presented) is None


def test_wrong_secret_and_unknown_id_are_refused(path: Path) -> None:
    store = ApiKeyStore(path)
    record, key = store.create("a", ["inference"])
    assert store.verify(key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert store.verify(f"fk_{'0' * 12}_{key.split('_', 2)[2]}") is None
    assert store.verify(key + "x") is None
    assert store.verify(key) == record


def test_keys_with_underscores_in_the_secret_verify(path: Path) -> None:
    store = ApiKeyStore(path)
    keys = [store.create(f"k{i}", ["inference"])[1] for i in range(30)]
    assert any("_" in k.split("_", 2)[2] or "-" in k for k in keys)
    assert all(store.verify(k) is not None for k in keys)


def test_revoke(path: Path) -> None:
    store = ApiKeyStore(path)
    record, key = store.create("a", ["inference"])
    other, other_key = store.create("b", ["admin"])
    revoked = store.revoke(record.key_id)
    assert revoked.revoked
    assert revoked.key_id == record.key_id
    assert store.verify(key) is None
    assert store.verify(other_key) == other
    assert store.revoke(record.key_id) == revoked  # idempotent
    assert [(r.key_id, r.revoked) for r in store.list()] == [(record.key_id, True), (other.key_id, False)]


def test_revoke_unknown_id_is_not_found(path: Path) -> None:
    store = ApiKeyStore(path)
    with pytest.raises(NotFound, match="no API key with id 'aaaaaaaaaaaa'"):
        store.revoke("aaaaaaaaaaaa")
    with pytest.raises(NotFound, match="not an API key id"):
        store.revoke("nope")


def test_revoke_accepts_a_whole_key_and_never_echoes_it(path: Path) -> None:
    store = ApiKeyStore(path)
    record, key = store.create("a", ["inference"])
    assert store.revoke(key).key_id == record.key_id
    unknown = f"fk_{'b' * 12}_{key.split('_', 2)[2]}"
    with pytest.raises(NotFound) as info:
        store.revoke(unknown)
    assert key.split("_", 2)[2] not in str(info.value)


@pytest.mark.parametrize(
    ("name", "scopes", "message"),
    [
        ("a", ["root"], "unknown scope 'root'; known scopes: inference, admin"),
        ("a", [], "at least one scope"),
        ("  ", ["inference"], "key name must be"),
        ("x" * 101, ["inference"], "key name must be"),
    ],
)
def test_create_validates(path: Path, name: str, scopes: list[str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        ApiKeyStore(path).create(name, scopes)
    assert not path.exists()


def test_another_process_revoking_takes_effect_within_a_second(path: Path) -> None:
    clock = FakeClock()
    gateway = ApiKeyStore(path, clock=clock)
    cli = ApiKeyStore(path)
    record, key = cli.create("a", ["inference"])
    assert gateway.verify(key) is None  # created after the gateway last looked; not seen yet
    clock.now += RELOAD_INTERVAL_S
    assert gateway.verify(key) == record

    cli.revoke(record.key_id)
    assert gateway.verify(key) == record  # the file is looked at no more than once a second
    clock.now += RELOAD_INTERVAL_S / 2
    assert gateway.verify(key) == record
    clock.now += RELOAD_INTERVAL_S / 2
    assert gateway.verify(key) is None


def test_unchanged_file_is_not_reread(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    store = ApiKeyStore(path, clock=clock)
    _, key = store.create("a", ["inference"])
    reads = []
    original = ApiKeyStore._read
    monkeypatch.setattr(ApiKeyStore, "_read", lambda self: reads.append(1) or original(self))
    for _ in range(100):
        clock.now += 0.05
        assert store.verify(key) is not None
    assert reads == []


def test_deleted_file_drops_every_key(path: Path) -> None:
    clock = FakeClock()
    store = ApiKeyStore(path, clock=clock)
    _, key = store.create("a", ["inference"])
    path.unlink()
    clock.now += RELOAD_INTERVAL_S
    assert store.verify(key) is None


def test_corrupt_file_at_start_is_a_clear_error(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(KeyFileError, match=f"API key file {path} is corrupt"):
        ApiKeyStore(path)
    path.write_text(json.dumps({"version": 1, "keys": [{"key_id": "x"}]}))
    with pytest.raises(KeyFileError, match=r"corrupt: keys\.0\."):
        ApiKeyStore(path)
    path.write_text(json.dumps({"version": 9, "keys": []}))
    with pytest.raises(KeyFileError, match="unsupported version 9"):
        ApiKeyStore(path)


def test_corrupt_file_on_reload_keeps_the_last_good_keys(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    store = ApiKeyStore(path, clock=clock)
    record, key = store.create("a", ["inference"])
    path.write_text("garbage")
    clock.now += RELOAD_INTERVAL_S
    with caplog.at_level(logging.ERROR, logger="fortress.gateway.auth.keys"):
        assert store.verify(key) == record
        clock.now += RELOAD_INTERVAL_S
        assert store.verify(key) == record
    assert [r.getMessage().count("is corrupt") for r in caplog.records] == [1]
    assert key not in caplog.text


def test_loose_permissions_are_warned_about(path: Path, caplog: pytest.LogCaptureFixture) -> None:
    ApiKeyStore(path).create("a", ["inference"])
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="fortress.gateway.auth.keys"):
        ApiKeyStore(path)
    assert "accessible by other users" in caplog.text


def test_failed_write_leaves_the_file_and_no_temp_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ApiKeyStore(path)
    record, key = store.create("a", ["inference"])
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keys_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        store.create("b", ["inference"])
    with pytest.raises(OSError, match="No space left"):
        store.revoke(record.key_id)
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["keys.json", "keys.json.lock"]
    assert store.verify(key) == record
    assert [r.name for r in ApiKeyStore(path).list()] == ["a"]


def test_concurrent_writers_lose_no_key(path: Path) -> None:
    created: list[str] = []

    def writer(n: int) -> None:
        store = ApiKeyStore(path)  # one store per thread: only the file lock protects them
        for i in range(10):
            created.append(store.create(f"w{n}-{i}", ["inference"])[1])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = ApiKeyStore(path)
    assert len(store.list()) == 40
    assert all(store.verify(k) is not None for k in created)


def test_keys_path() -> None:
    home = Path("/srv/fortress")
    assert keys_path(home, AuthSettings()) == home / "auth" / "keys.json"
    assert keys_path(home, AuthSettings(keys_file=Path("/etc/k.json"))) == Path("/etc/k.json")


def test_missing_file_is_an_empty_store(path: Path) -> None:
    store = ApiKeyStore(path)
    assert store.list() == []
    assert store.verify("fk_0123456789ab_secret") is None
    assert not path.exists()
    assert not os.path.exists(path.parent)
