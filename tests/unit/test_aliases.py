"""The registry's alias names are written once, in ``fortress/aliases.py``: everything else in
``src/fortress`` names them through its constants."""

from __future__ import annotations

import ast
from pathlib import Path

from fortress import aliases
from fortress.registry import base
from fortress.runtime.settings import RuntimeSettings

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "fortress"
NAMES = {aliases.CHAMPION, aliases.STAGING, aliases.CANARY}


NOT_ALIASES: dict[tuple[str, str], str] = {
    ("fortress/deploy/render.py", "staging"): "the Kubernetes overlay (deployment environment) of that name",
}
"""Literals that spell an alias name but mean something else, each with what it means."""


def test_no_module_but_aliases_writes_an_alias_name_as_a_literal() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.value!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "aliases.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant)
        and node.value in NAMES
        and (path.relative_to(PACKAGE.parent).as_posix(), node.value) not in NOT_ALIASES
    ]
    assert not found, "use fortress.aliases (or registry.base) instead of:\n" + "\n".join(found)


def test_every_not_alias_entry_still_matches_a_literal() -> None:
    for (module, value), meaning in NOT_ALIASES.items():
        tree = ast.parse((PACKAGE.parent / module).read_text(encoding="utf-8"))
        assert any(isinstance(n, ast.Constant) and n.value == value for n in ast.walk(tree)), (
            f"{module} no longer holds {value!r} ({meaning}): remove the entry"
        )


def test_the_registry_and_the_runtime_use_the_same_names() -> None:
    assert (base.CHAMPION, base.STAGING, base.CANARY) == ("champion", "staging", "canary")
    assert RuntimeSettings().aliases == ["champion", "canary"]
