"""Only entry points see the whole ``Settings`` tree; every component receives its own part.

Entry points: the CLI, the two app factories, and the gateway's composition root ``build_platform``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import fortress

PACKAGE = Path(fortress.__file__).resolve().parent
ROOT_SETTINGS = "fortress.settings"
ENTRY_POINTS = ("cli/", "gateway/http/factory.py", "gateway/platform.py", "server/factory.py", "settings.py")


def _imports_root_settings(tree: ast.AST) -> list[int]:
    """Lines importing ``fortress.settings`` in any form (also inside functions or TYPE_CHECKING)."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name == ROOT_SETTINGS or a.name.startswith(ROOT_SETTINGS + ".") for a in node.names):
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            root = node.module == "fortress" and any(a.name == "settings" for a in node.names)
            if node.module == ROOT_SETTINGS or root:
                lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and node.value == ROOT_SETTINGS:  # importlib.import_module
            lines.append(node.lineno)
    return lines


def _allowed(relative: str) -> bool:
    return any(relative.startswith(e) if e.endswith("/") else relative == e for e in ENTRY_POINTS)


def test_only_entry_points_import_the_root_settings() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if _allowed(relative):
            continue
        for line in _imports_root_settings(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            offenders.append(f"src/fortress/{relative}:{line}")
    assert not offenders, (
        "these modules import fortress.settings, but only entry points "
        f"({', '.join(ENTRY_POINTS)}) may see the whole Settings tree; give the component its own "
        "part instead (e.g. RegistrySettings plus the home path, TrainingSettings, AuthSettings):\n  "
        + "\n  ".join(offenders)
    )


def test_the_entry_point_list_names_real_files() -> None:
    for entry in ENTRY_POINTS:
        assert (PACKAGE / entry).exists(), f"{entry} is listed as an entry point but does not exist"


def test_the_check_sees_every_form_of_import() -> None:
    source = (
        "import fortress.settings\n"
        "from fortress.settings import Settings\n"
        "from fortress import settings\n"
        "def f():\n    from fortress.settings import Settings\n"
        "importlib.import_module('fortress.settings')\n"
        "from fortress.registry.settings import RegistrySettings\n"
        "from fortress.gateway import settings as gateway_settings\n"
    )
    assert _imports_root_settings(ast.parse(source)) == [1, 2, 3, 5, 6]
