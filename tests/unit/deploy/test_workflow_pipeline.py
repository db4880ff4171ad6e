""".github/workflows/ml-pipeline.yaml: actionlint passes, it validates against the GitHub workflow
schema (check-jsonschema's vendored copy), and every ``fortress`` command it runs exists."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from support.cli import fortress
from support.manifests import REPO

WORKFLOW = REPO / ".github" / "workflows" / "ml-pipeline.yaml"
BIN = Path(sys.executable).parent


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=120, check=False)


def test_actionlint_passes() -> None:
    result = run(BIN / "actionlint", "-no-color", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = WORKFLOW.read_text(encoding="utf-8").replace("needs: build", "needs: no-such-job", 1)
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    result = run(BIN / "actionlint", "-no-color", path)
    assert result.returncode == 1
    assert "no-such-job" in result.stdout


def test_the_workflow_validates_against_the_github_workflow_schema() -> None:
    result = run(BIN / "check-jsonschema", "--builtin-schema", "vendor.github-workflows", WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def fortress_commands() -> set[tuple[str, ...]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    found: set[tuple[str, ...]] = set()
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for line in step.get("run", "").splitlines():
                for match in re.finditer(r"(?:^|\s|/)fortress((?: [a-z][a-z-]*){1,2})", line):
                    found.add(tuple(match.group(1).split()))
    return found


def test_every_fortress_command_in_the_workflow_exists(tmp_path: Path) -> None:
    commands = fortress_commands()
    assert {("train",), ("deploy", "render"), ("dr", "drill"), ("models", "list")} <= commands
    for command in sorted(commands):
        result = fortress(tmp_path, *command, "--help", timeout=120)
        assert result.returncode == 0, (command, result.stderr[-2000:])
