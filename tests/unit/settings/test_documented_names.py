"""Every ``FORTRESS_`` variable the docs, README and deploy manifests name is one the settings read
(a misspelt name there would be copied by users, then only warned about)."""

from __future__ import annotations

import re
from pathlib import Path

from fortress.settings import unknown_settings

REPO = Path(__file__).resolve().parents[3]
NAME = re.compile(r"FORTRESS_[A-Z0-9_]*[A-Z0-9]")
EXAMPLES = "## Unknown variables"
"""The section of docs/CONFIGURATION.md that shows misspelt names on purpose."""


def _texts() -> dict[str, str]:
    files = [*REPO.glob("docs/*.md"), REPO / "README.md", *REPO.glob("deploy/**/*.y*ml")]
    texts = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8") for p in sorted(files)}
    config = texts["docs/CONFIGURATION.md"]
    start = config.index(EXAMPLES)
    end = config.find("\n## ", start + len(EXAMPLES))
    texts["docs/CONFIGURATION.md"] = config[:start] + (config[end:] if end != -1 else "")
    return texts


def test_documented_variables_are_settings() -> None:
    wrong = [
        f"{where}: {unknown.message}"
        for where, text in _texts().items()
        for unknown in unknown_settings(dict.fromkeys(set(NAME.findall(text)), "1"))
    ]
    assert not wrong, "\n".join(wrong)
