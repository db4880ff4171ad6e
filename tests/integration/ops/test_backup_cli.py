"""``fortress backup`` through the real command line on a trained home: secrets, verify, restore, prune."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from cryptography.fernet import Fernet

from fortress.ops.crypto import decrypt
from fortress.ops.manifest import MANIFEST, Manifest
from fortress.settings import Settings
from support.cli import fortress, one_error_line
from support.ops import Trained, artifact_file, flip_byte, tree_digest

JWT_SECRET = "jwt-shared-secret-4f1c-0123456789abcdef0123"
REDIS_PASSWORD = "redis-pw-77ab"


def test_create_encrypts_secrets_with_the_key_and_never_writes_them_plainly(
    home: Settings, tmp_path: Path
) -> None:
    key = Fernet.generate_key()
    env = {
        "FORTRESS_OPS__BACKUP_KEY": key.decode(),
        "FORTRESS_GATEWAY__AUTH__JWT_HS256_SECRET": JWT_SECRET,
        "FORTRESS_FEATURES__REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0",
    }
    result = fortress(home.home, "backup", "create", "--to", str(tmp_path / "b"), "--json", env=env)
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)
    backup = tmp_path / "b" / manifest["backup_id"]
    assert manifest["secrets"]["status"] == "encrypted"
    assert set(manifest["secrets"]["paths"]) == {
        "gateway.auth.jwt_hs256_secret",
        "features.redis_url",
        "monitoring.inference_log.salt",
    }
    for path in backup.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert JWT_SECRET.encode() not in raw, path
            assert REDIS_PASSWORD.encode() not in raw, path
            assert key not in raw, path  # the key is never stored with what it protects
    secrets = decrypt((backup / "config" / "secrets.fernet").read_bytes(), key)
    assert secrets["gateway.auth.jwt_hs256_secret"] == JWT_SECRET
    assert REDIS_PASSWORD in secrets["features.redis_url"]
    settings = json.loads((backup / "config" / "settings.json").read_text())
    assert settings["gateway"]["auth"]["jwt_hs256_secret"] == "***"
    assert settings["features"]["redis_url"] == "redis://:***@127.0.0.1:6379/0"
    assert settings["ops"]["backup_key"] == "***"
    key_file = tmp_path / "key.txt"
    key_file.write_text(key.decode())
    del env["FORTRESS_OPS__BACKUP_KEY"]
    again = fortress(
        home.home, "backup", "create", "--to", str(tmp_path / "b"), "--key-file", str(key_file), env=env
    )
    assert again.returncode == 0, again.stderr
    assert len(list((tmp_path / "b").glob("*/config/secrets.fernet"))) == 2
    verified = fortress(home.home, "backup", "verify", str(backup), "--key-file", str(key_file))
    assert verified.returncode == 0, verified.stderr
    assert "secrets decrypt with the given key" in verified.stdout
    key_file.write_text(Fernet.generate_key().decode())
    wrong = fortress(home.home, "backup", "verify", str(backup), "--key-file", str(key_file))
    assert "does not decrypt" in one_error_line(wrong)


def test_without_a_key_secrets_are_left_out_and_said_so(home: Settings, tmp_path: Path) -> None:
    env = {"FORTRESS_GATEWAY__AUTH__JWT_HS256_SECRET": JWT_SECRET}
    result = fortress(home.home, "backup", "create", "--to", str(tmp_path / "b"), "--no-audit", env=env)
    assert result.returncode == 0, result.stderr
    assert "secrets were left out" in result.stderr
    (backup,) = (tmp_path / "b").iterdir()
    assert not (backup / "config" / "secrets.fernet").exists()
    manifest = Manifest.read(backup)
    assert manifest.secrets["status"].startswith("left out: no backup key")
    assert "audit" in manifest.stores["skipped"]["names"]
    assert all(JWT_SECRET.encode() not in p.read_bytes() for p in backup.rglob("*") if p.is_file())


def test_verify_and_restore_refuse_a_tampered_backup_naming_the_file(
    trained: Trained, home: Settings, tmp_path: Path
) -> None:
    backup = tmp_path / trained.backup.name
    shutil.copytree(trained.backup, backup)
    name = artifact_file(trained.manifest)
    flip_byte(backup / name)
    before = tree_digest(home.home)
    verified = fortress(home.home, "backup", "verify", str(backup))
    assert verified.returncode == 1
    assert name in one_error_line(verified)
    restored = fortress(home.home, "backup", "restore", str(backup), "--force")
    assert restored.returncode == 2
    line = one_error_line(restored)
    assert line.startswith("error: refusing to restore")
    assert name in line
    assert tree_digest(home.home) == before


def test_restore_needs_force_over_a_non_empty_home(trained: Trained, home: Settings, tmp_path: Path) -> None:
    before = tree_digest(home.home)
    refused = fortress(home.home, "backup", "restore", str(trained.backup))
    assert refused.returncode == 2
    assert "pass --force" in one_error_line(refused)
    assert tree_digest(home.home) == before
    fresh = tmp_path / "fresh-home"
    done = fortress(home.home, "backup", "restore", str(trained.backup), "--to", str(fresh))
    assert done.returncode == 0, done.stderr
    assert (fresh / "registry" / "mlflow.db").is_file()
    forced = fortress(home.home, "backup", "restore", str(trained.backup), "--force")
    assert forced.returncode == 0, forced.stderr
    assert f"into {home.home.resolve()}" in forced.stdout


def test_list_and_prune_keep_the_newest(trained: Trained, home: Settings, tmp_path: Path) -> None:
    where = tmp_path / "backups"
    now = time.time()
    for age_days in (90, 40, 31, 2, 1):
        manifest = json.loads((trained.backup / MANIFEST).read_text())
        manifest["backup_id"] = backup_id = f"fortress-aged-{age_days:03d}d"
        manifest["created_at"] = now - age_days * 86400
        shutil.copytree(trained.backup, where / backup_id)
        (where / backup_id / MANIFEST).write_text(json.dumps(manifest))
    listing = fortress(home.home, "backup", "list", "--from", str(where), "--json")
    assert listing.returncode == 0, listing.stderr
    ids = [row["backup_id"] for row in json.loads(listing.stdout)]
    assert ids == [f"fortress-aged-{d:03d}d" for d in (90, 40, 31, 2, 1)]  # oldest first
    pruned = fortress(home.home, "backup", "prune", "--keep-days", "30", "--from", str(where))
    assert pruned.returncode == 0, pruned.stderr
    assert sorted(p.name for p in where.iterdir()) == ["fortress-aged-001d", "fortress-aged-002d"]
    assert "3 backups deleted" in pruned.stdout
    everything = fortress(home.home, "backup", "prune", "--keep-days", "0", "--from", str(where))
    assert everything.returncode == 0, everything.stderr
    assert [p.name for p in where.iterdir()] == ["fortress-aged-001d"]  # the newest always stays
    table = fortress(home.home, "backup", "list", "--from", str(where))
    assert table.stdout.startswith("fortress-aged-001d  ")
