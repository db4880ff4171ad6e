"""The parts of ``fortress.ops`` that need no trained model: manifest checks, secrets, keys, the swap,
locations, retention and the fingerprint digest."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import SecretStr

from fortress.ops.config import MASK, split_secrets
from fortress.ops.crypto import decrypt, encrypt, new_key, read_key
from fortress.ops.errors import BackupCorrupt, BackupInvalid
from fortress.ops.fingerprint import answer_digest, digest, fingerprint
from fortress.ops.location import LocalLocation, backup_ref
from fortress.ops.manifest import MANIFEST, FileEntry, Manifest, check_files
from fortress.ops.restore import verify
from fortress.ops.retention import listed, prune
from fortress.ops.swap import swap_in
from support.ops import tree_digest


def _backup(root: Path, backup_id: str, created_at: float = 1_000_000.0) -> Path:
    folder = root / backup_id
    (folder / "a").mkdir(parents=True)
    (folder / "a" / "one.bin").write_bytes(os.urandom(300))
    (folder / "two.txt").write_text("two\n")
    files = [
        FileEntry.of(folder, folder / "a" / "one.bin", "s1"),
        FileEntry.of(folder, folder / "two.txt", "s2"),
    ]
    manifest = Manifest(backup_id, created_at, "0.1.0", {"manifest": "1"}, {}, {}, {}, {}, files)
    (folder / MANIFEST).write_bytes(manifest.to_json())
    return folder


def test_manifest_round_trips_and_names_every_kind_of_damage(tmp_path: Path) -> None:
    folder = _backup(tmp_path, "b1")
    manifest = Manifest.read(folder)
    assert manifest.files[0] == FileEntry.of(folder, folder / "a" / "one.bin", "s1")
    assert check_files(folder, manifest) == []
    data = bytearray((folder / "a" / "one.bin").read_bytes())
    data[7] ^= 0x01
    (folder / "a" / "one.bin").write_bytes(bytes(data))
    (folder / "two.txt").write_text("two\nand more\n")
    (folder / "extra.txt").write_text("not listed")
    assert check_files(folder, manifest) == [
        "a/one.bin: sha256 differs from the manifest (tampered or corrupt)",
        "two.txt: grown (13 bytes, manifest says 4)",
        "extra.txt: not in the manifest",
    ]
    (folder / "two.txt").write_text("tw")
    (folder / "a" / "one.bin").unlink()
    problems = check_files(folder, manifest)
    assert problems[:2] == ["a/one.bin: missing", "two.txt: truncated (2 bytes, manifest says 4)"]
    with pytest.raises(BackupCorrupt, match=r"a/one\.bin: missing"):
        verify(folder)


def test_unreadable_manifest_is_reported(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    with pytest.raises(BackupInvalid, match=r"has no manifest\.json"):
        Manifest.read(tmp_path / "b")
    (tmp_path / "b" / MANIFEST).write_text("{not json")
    with pytest.raises(BackupCorrupt, match="not a valid manifest"):
        Manifest.read(tmp_path / "b")
    (tmp_path / "b" / MANIFEST).write_text(json.dumps({"format": 99}))
    with pytest.raises(BackupInvalid, match="backup format 99"):
        Manifest.read(tmp_path / "b")


def test_secrets_are_split_from_the_configuration() -> None:
    tree = {
        "gateway": {"auth": {"jwt_hs256_secret": SecretStr("s3cret"), "jwt_issuer": "me"}},
        "registry": {"tracking_uri": "postgresql+psycopg2://fortress:pw%40x@db:5432/mlflow"},
        "features": {"redis_url": "redis://127.0.0.1:6379/0"},
        "events": {"kafka_config": {"sasl.password": "kafka-pw", "linger.ms": "5"}},
        "ops": {"backup_key": SecretStr("the-key")},
        "home": Path("/srv/home"),
        "models": ["a", "b"],
    }
    public, secrets = split_secrets(tree)
    assert secrets == {
        "gateway.auth.jwt_hs256_secret": "s3cret",
        "registry.tracking_uri": "postgresql+psycopg2://fortress:pw%40x@db:5432/mlflow",
        "events.kafka_config.sasl.password": "kafka-pw",
    }
    assert public["gateway"]["auth"] == {"jwt_hs256_secret": MASK, "jwt_issuer": "me"}
    assert public["registry"]["tracking_uri"] == f"postgresql+psycopg2://fortress:{MASK}@db:5432/mlflow"
    assert public["features"]["redis_url"] == "redis://127.0.0.1:6379/0"  # no password: kept
    assert public["events"]["kafka_config"] == {"sasl.password": MASK, "linger.ms": "5"}
    assert public["ops"]["backup_key"] == MASK  # never stored, not even encrypted
    assert public["home"] == "/srv/home"
    assert public["models"] == ["a", "b"]
    assert "the-key" not in json.dumps(public) + json.dumps(secrets)


def test_fernet_keys_encrypt_and_refuse_what_they_did_not_encrypt(tmp_path: Path) -> None:
    key = read_key(new_key(), None)
    assert key is not None
    token = encrypt({"a.b": "secret"}, key)
    assert b"secret" not in token
    assert decrypt(token, key) == {"a.b": "secret"}
    other = read_key(new_key(), None)
    assert other is not None
    with pytest.raises(BackupInvalid, match="does not decrypt"):
        decrypt(token, other)
    key_file = tmp_path / "key"
    key_file.write_text(key.decode() + "\n")
    assert read_key("ignored when a file is given", key_file) == key
    assert read_key(None, None) is None
    with pytest.raises(BackupInvalid, match="Fernet key"):
        read_key("short", None)
    with pytest.raises(BackupInvalid, match="cannot read the key file"):
        read_key(None, tmp_path / "missing")


def test_swap_replaces_the_home_whole(tmp_path: Path) -> None:
    home, staged = tmp_path / "home", tmp_path / "staged"
    home.mkdir()
    (home / "old.txt").write_text("old")
    staged.mkdir()
    (staged / "new.txt").write_text("new")
    expected = tree_digest(staged)
    swap_in(staged, home)
    assert tree_digest(home) == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # the old home is gone
    again = tmp_path / "again"
    again.mkdir()
    swap_in(again, tmp_path / "absent")  # no home yet: a plain rename
    assert (tmp_path / "absent").is_dir()
    assert not again.exists()


def test_backup_refs_and_listing(tmp_path: Path) -> None:
    where = LocalLocation(tmp_path / "backups")
    _backup(where.root, "fortress-b", created_at=2_000_000.0)
    _backup(where.root, "fortress-a", created_at=1_000_000.0)
    (where.root / ".incomplete-x").mkdir()  # an unfinished backup: no manifest, never listed
    assert where.ids() == ["fortress-a", "fortress-b"]
    assert [x.backup_id for x in listed(where)] == ["fortress-a", "fortress-b"]
    assert backup_ref(str(where.root / "fortress-a"), where, None)[1] == "fortress-a"
    assert backup_ref("fortress-b", where, None) == (where, "fortress-b")
    s3, backup_id = backup_ref("s3://bucket/some/prefix/fortress-c", where, "http://127.0.0.1:9")
    assert (str(s3), backup_id) == ("s3://bucket/some/prefix", "fortress-c")
    with pytest.raises(BackupInvalid, match="no backup at 'nope'"):
        backup_ref("nope", where, None)


def test_prune_keeps_recent_backups_and_always_the_newest(tmp_path: Path) -> None:
    where = LocalLocation(tmp_path)
    day = 86400.0
    now = 100 * day
    for age in (60, 31, 29, 1):
        _backup(tmp_path, f"b-{age:02d}", created_at=now - age * day)
    assert prune(where, 30, now=now) == ["b-60", "b-31"]
    assert where.ids() == ["b-01", "b-29"]
    assert prune(where, 0, now=now) == ["b-29"]
    assert where.ids() == ["b-01"]
    assert prune(where, 0, now=now + 365 * day) == []


def test_fingerprint_digests_only_what_an_answer_decides() -> None:
    answer = {
        "investigation_id": "x", "latency_ms": 3.2, "cached": False,
        "predictions": {"m": {"label": "benign"}}, "confidence_scores": {"m": 0.912345678},
        "ensemble": {"verdict": "benign", "risk_score": 0.1}, "degraded": False, "unavailable": {},
    }  # fmt: skip
    same = {**answer, "investigation_id": "y", "latency_ms": 9.9, "cached": True}
    assert answer_digest(answer) == answer_digest(same)
    assert answer_digest(answer) == answer_digest({**answer, "confidence_scores": {"m": 0.9123457}})
    assert answer_digest(answer) != answer_digest({**answer, "confidence_scores": {"m": 0.9124}})
    assert answer_digest(answer) != answer_digest({**answer, "ensemble": {"verdict": "malicious"}})
    made = fingerprint([{}, {}], [answer, same], {"m": 3})
    assert made["digest"] == digest([answer_digest(answer)] * 2)
    assert made["champions"] == {"m": 3}
    assert made["degraded"] == 0
