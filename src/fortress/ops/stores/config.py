"""The effective configuration without secrets; the secrets encrypted with the user's key, or left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fortress.ops.config import split_secrets
from fortress.ops.crypto import encrypt
from fortress.ops.manifest import Manifest
from fortress.ops.stores.base import FileStore, Source, Target

CONFIG = "config"
SETTINGS_FILE = "settings.json"
SECRETS_FILE = "secrets.fernet"
RESTORED_CONFIG = Path("ops") / "backup-settings.json"
"""Where a restored home keeps the backup's configuration, to compare with the environment."""


class ConfigStore(FileStore):
    name = CONFIG

    def present(self, source: Source) -> bool:
        return source.config is not None

    def backup(self, source: Source, out: Path) -> dict[str, Any]:
        public, secrets = split_secrets(source.config)
        folder = out / self.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / SETTINGS_FILE).write_text(json.dumps(public, indent=2, sort_keys=True), encoding="utf-8")
        info: dict[str, Any] = {"secret_paths": sorted(secrets)}
        if secrets and source.key is not None:
            (folder / SECRETS_FILE).write_bytes(encrypt(secrets, source.key))
            info["secrets"] = "encrypted"
        elif secrets:
            info["secrets"] = "left out: no backup key (FORTRESS_OPS__BACKUP_KEY or --key-file)"
        else:
            info["secrets"] = "none in the configuration"
        return info

    def restore(self, folder: Path, manifest: Manifest, target: Target) -> None:
        dest = target.staging / RESTORED_CONFIG
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((folder / self.name / SETTINGS_FILE).read_bytes())
