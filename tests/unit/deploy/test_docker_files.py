"""deploy/docker: the Dockerfiles pass hadolint, the compose file validates against the compose
specification's schema, its Prometheus and Alertmanager files pass promtool/amtool, and every
``FORTRESS_`` variable it sets is a real setting that parses.

There is no Docker engine (nor the compose plugin) on the machines that run this suite, so
``docker compose config`` cannot run here; the compose-spec schema that check-jsonschema vendors is the
check instead (docs/DEPLOY.md says so)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from fortress.settings import Settings, unknown_settings
from support.cli import fortress

REPO = Path(__file__).resolve().parents[3]
DOCKER = REPO / "deploy" / "docker"
BIN = Path(sys.executable).parent
DOCKERFILES = sorted(DOCKER.glob("Dockerfile.*"))


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DOCKER / "docker-compose.yaml").read_text(encoding="utf-8"))
    return loaded


def test_there_is_a_dockerfile_per_image() -> None:
    names = [p.name for p in DOCKERFILES]
    assert names == ["Dockerfile.gateway", "Dockerfile.model-server", "Dockerfile.training"]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(dockerfile: Path) -> None:
    result = run(BIN / "hadolint", "--failure-threshold", "info", dockerfile)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_on_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install requests\nUSER root\n", encoding="utf-8")
    result = run(BIN / "hadolint", bad)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest tag
    assert "DL3013" in result.stdout  # unpinned pip install


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_images_are_multi_stage_pinned_and_non_root(dockerfile: Path) -> None:
    lines = [line.strip() for line in dockerfile.read_text(encoding="utf-8").splitlines()]
    base = next(line.split("=", 1)[1] for line in lines if line.startswith("ARG PYTHON_IMAGE="))
    name, _, tag = base.partition(":")
    assert name == "python"
    assert tag.startswith("3.11.")
    assert tag.count(".") >= 2, f"base image not pinned to a patch release: {base}"
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) >= 2, "multi-stage: a build stage and a runtime stage"
    user = [line for line in lines if line.startswith("USER ")]
    assert user
    assert user[-1] == "USER 10001:10001"
    assert any(line.startswith("VOLUME ") and "/tmp" in line for line in lines)
    assert any(line.startswith("HEALTHCHECK ") for line in lines)
    assert any("-c constraints.txt" in line for line in lines), "dependencies installed from the pins"


def test_compose_validates_against_the_compose_spec() -> None:
    path = DOCKER / "docker-compose.yaml"
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_schema_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = compose()
    broken["services"]["gateway"]["ports"] = {"not": "a list"}
    path = tmp_path / "docker-compose.yaml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", path)
    assert result.returncode == 1, result.stdout + result.stderr


def test_compose_has_the_local_stack_and_hardened_fortress_services() -> None:
    services = compose()["services"]
    wanted = {"gateway", "model-server", "redis", "postgres", "mlflow"}
    wanted |= {"prometheus", "alertmanager", "grafana"}
    assert wanted <= set(services)
    for name in ("gateway", "model-server", "training", "mlflow"):
        service = services[name]
        assert service["read_only"] is True, name
        assert service["user"] == "10001:10001", name
        assert service["cap_drop"] == ["ALL"], name
        assert "/tmp" in service["tmpfs"], name
    for name, service in services.items():
        image = service["image"]
        assert ":" in image, f"{name}: image without a tag ({image})"
        assert not image.endswith(":latest"), f"{name}: image not pinned ({image})"


def test_every_fortress_variable_in_compose_is_a_setting_that_parses() -> None:
    for name, service in compose()["services"].items():
        env = {k: str(v) for k, v in (service.get("environment") or {}).items() if k.startswith("FORTRESS_")}
        if not env:
            continue
        assert unknown_settings(env) == [], name
        nested: dict[str, Any] = {}
        for key, value in env.items():
            parts = key.removeprefix("FORTRESS_").lower().split("__")
            node = nested
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        Settings.model_validate(nested)  # raises on a bad value (a backend kind, a URL)


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus package)")
def test_compose_prometheus_config_passes_promtool() -> None:
    result = run("promtool", "check", "config", "--syntax-only", DOCKER / "compose" / "prometheus.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("amtool") is None, reason="amtool (Debian package prometheus-alertmanager)")
def test_compose_alertmanager_config_passes_amtool() -> None:
    result = run("amtool", "check-config", DOCKER / "compose" / "alertmanager.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_fortress_command_the_images_and_compose_run_exists(tmp_path: Path) -> None:
    commands: set[tuple[str, ...]] = set()
    for dockerfile in DOCKERFILES:
        text = dockerfile.read_text(encoding="utf-8")
        assert 'ENTRYPOINT ["fortress"]' in text, dockerfile.name
        cmd = json.loads(next(line for line in text.splitlines() if line.startswith("CMD "))[4:])
        commands.add(tuple(cmd[:1]))
    for service in compose()["services"].values():
        if "command" in service and "entrypoint" not in service and "fortress-" in service["image"]:
            commands.add(tuple(service["command"][:1]))
    assert commands == {("up",), ("serve",), ("train",)}
    for command in sorted(commands):
        result = fortress(tmp_path, *command, "--help", timeout=120)
        assert result.returncode == 0, (command, result.stderr[-2000:])
