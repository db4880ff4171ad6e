"""Every `fortress` command the README shows exists and parses (`--help` on its command path).

Running them for real is the e2e suite's job (tests/e2e/test_reference_ensemble.py runs `up`, `train`,
`models list/alias/fetch`, `docs models`; tests/unit/cli covers `datasets list/fetch`)."""

from __future__ import annotations

import re
from pathlib import Path

from support.cli import fortress

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("fortress"):
                commands.append(line.split())
    return commands


def test_readme_starts_with_make_run_and_make_test() -> None:
    first_block = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)[0]
    assert [line.split()[:2] for line in first_block.strip().splitlines()] == [
        ["make", "run"],
        ["make", "test"],
    ]


def test_every_readme_command_is_a_real_command(tmp_path: Path) -> None:
    commands = readme_commands()
    assert len(commands) >= 10
    for command in commands:
        path = [word for word in command[1:3] if not word.startswith("-") and word.isidentifier()]
        groups = (
            ["models"],
            ["datasets"],
            ["docs"],
            ["keys"],
            ["features"],
            ["drift"],
            ["cost"],
            ["backup"],
            ["dr"],
        )
        path = path[:2] if path[:1] in groups else path[:1]
        result = fortress(tmp_path, *path, "--help")
        assert result.returncode == 0, (command, result.stderr)
        for option in (w.split("=")[0] for w in command if w.startswith("--")):
            assert option in result.stdout, (command, option)
