"""Fenced shell blocks of README.md and docs/*.md, and the commands in them.

A shell block is a fence tagged ``bash``, ``sh``, ``shell``, ``console``, ``zsh`` or ``curl``, or an
untagged fence whose first line starts a command (``$ ``, ``fortress ``, ``curl ``, ``make ``). A block
is illustrative when the line right before its fence is ``<!-- illustrative: <reason> -->``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHELL_TAGS = frozenset({"bash", "sh", "shell", "console", "zsh", "curl"})
UNTAGGED_COMMAND = re.compile(r"^\s*(\$ |fortress |curl |make )")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
ILLUSTRATIVE = re.compile(r"^\s*<!-- illustrative: (\S.*?) -->\s*$")


@dataclass(frozen=True, slots=True)
class ShellBlock:
    path: Path
    line: int
    """1-based line of the opening fence."""
    tag: str
    body: str
    illustrative: str | None
    """The reason given, when the block is marked illustrative."""

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"

    def commands(self) -> list[str]:
        """One string per command: continuation lines joined, comments and ``$ `` prompts dropped."""
        joined = re.sub(r"\\\n\s*", " ", self.body)
        found = []
        for raw in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", raw).strip()
            line = line.removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                found.append(line)
        return found


def documents() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def shell_blocks(path: Path) -> list[ShellBlock]:
    lines = path.read_text(encoding="utf-8").split("\n")
    blocks: list[ShellBlock] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, tag, start = opening.group(2), opening.group(3).lower(), i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append(lines[i])
            i += 1
        i += 1
        first = next((b for b in body if b.strip()), "")
        if tag in SHELL_TAGS or (not tag and UNTAGGED_COMMAND.match(first)):
            marker = ILLUSTRATIVE.match(lines[start - 1]) if start else None
            text = "\n".join(b.removeprefix(opening.group(1)) for b in body)
            blocks.append(ShellBlock(path, start + 1, tag, text, marker.group(1) if marker else None))
    return blocks


def all_shell_blocks() -> list[ShellBlock]:
    return [block for path in documents() for block in shell_blocks(path)]


def command_key(command: str) -> str:
    """What a claim names: ``fortress`` plus its command path, ``make`` plus its target, ``curl`` plus
    the URL path, ``export NAME``."""
    words = command.split()
    if words[0] == "fortress":
        path = [w for w in words[1:3] if re.fullmatch(r"[a-z][a-z-]*", w)]
        groups = {"models", "datasets", "docs", "keys", "features", "drift", "backup", "dr", "cost", "deploy"}
        path = path[:2] if path[:1] and path[0] in groups else path[:1]
        options = sorted({w.split("=")[0] for w in words if w.startswith("--")})
        return " ".join(["fortress", *path, *options])
    if words[0] == "curl":
        url = next(w for w in words if "://" in w or re.match(r"[\w.]+:\d+/", w))
        return "curl " + re.sub(r"^\w+://", "", re.sub(r"^[^/]*", "", url.split("://")[-1]))
    if words[0] == "export":
        return "export " + words[1].split("=")[0]
    if re.match(r"[A-Z_]+=", words[0]):  # VAR=value ... command
        env = [w.split("=")[0] for w in words if re.match(r"[A-Z_]+=", w)]
        rest = [w for w in words if not re.match(r"[A-Z_]+=", w)]
        return " ".join([*env, command_key(" ".join(rest))]) if rest else " ".join(env)
    return " ".join(words[:2])
