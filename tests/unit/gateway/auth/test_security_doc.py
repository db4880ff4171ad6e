"""docs/SECURITY.md is executable: its variables are real settings, its commands real commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fortress.cli.main import app
from fortress.gateway.auth.settings import AuthSettings, RateLimitSettings
from fortress.gateway.settings import GatewaySettings
from fortress.settings import Settings

DOC = Path(__file__).resolve().parents[4] / "docs" / "SECURITY.md"
SECTIONS = {"AUTH": AuthSettings, "RATE_LIMIT": RateLimitSettings}


def documented() -> set[tuple[str, str]]:
    names = re.findall(r"FORTRESS_GATEWAY__([A-Z_]+?)__([A-Z0-9_]+)", DOC.read_text(encoding="utf-8"))
    return set(names)


def test_every_documented_variable_is_a_setting() -> None:
    names = documented()
    assert len(names) >= 15
    for section, field in names:
        model = SECTIONS.get(section) or GatewaySettings.model_fields[section.lower()].annotation
        assert model is not None
        assert field.lower() in model.model_fields, (section, field)


def test_every_setting_is_documented() -> None:
    names = documented()
    for section, model in SECTIONS.items():
        for field in model.model_fields:
            assert (section, field.upper()) in names, (section, field)


def test_variables_reach_the_settings_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FORTRESS_GATEWAY__AUTH__JWT_ISSUER", "https://idp.example")
    monkeypatch.setenv("FORTRESS_GATEWAY__AUTH__JWT_HS256_SECRET", "x" * 32)
    monkeypatch.setenv("FORTRESS_GATEWAY__AUTH__KEYS_FILE", str(tmp_path / "keys.json"))
    monkeypatch.setenv("FORTRESS_GATEWAY__RATE_LIMIT__REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("FORTRESS_GATEWAY__RATE_LIMIT__BURST", "7")
    gateway = Settings().gateway
    assert gateway.auth.jwt_issuer == "https://idp.example"
    assert gateway.auth.jwt_hs256_secret is not None
    assert gateway.auth.jwt_hs256_secret.get_secret_value() == "x" * 32
    assert "x" * 32 not in repr(gateway.auth)
    assert gateway.auth.keys_file == tmp_path / "keys.json"
    assert gateway.rate_limit.redis_url == "redis://127.0.0.1:6379/0"
    assert gateway.rate_limit.burst == 7


def test_documented_commands_exist() -> None:
    text = DOC.read_text(encoding="utf-8")
    commands = [
        line.split("#", 1)[0].split()
        for block in re.findall(r"```bash\n(.*?)```", text, re.S)
        for line in block.splitlines()
        if line.startswith("fortress")
    ]
    assert len(commands) >= 4
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(app, [*command[1:3], "--help"])
        assert result.exit_code == 0, (command, result.output)
        for option in (w for w in command if w.startswith("--")):
            assert option in result.output, (command, option)


def test_the_probes_are_documented_as_always_open() -> None:
    """``/health/live`` and ``/health/ready`` answer without credentials even with OPEN_HEALTH=false
    (tests/unit/gateway/test_api_auth.py checks it); the doc once said ``/health*`` closed."""
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "`/health/live` and `/health/ready` always answer without credentials" in text
    assert "/health*" not in text
