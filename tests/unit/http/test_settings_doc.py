"""docs/SECURITY.md lists every HTTP-layer limit with its real variable and default, and the variables
reach ``Settings.http``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fortress.http.settings import HttpSettings
from fortress.settings import Settings

DOC = Path(__file__).resolve().parents[3] / "docs" / "SECURITY.md"


def documented() -> dict[str, str]:
    """Variable -> documented default, from the table rows."""
    rows = re.findall(r"^\| [^|]+ \| `FORTRESS_HTTP__([A-Z_]+)` \| `([^`]+)` \|", DOC.read_text(), re.M)
    return dict(rows)


def test_every_http_setting_is_documented_with_its_default() -> None:
    rows = documented()
    assert set(rows) == {name.upper() for name in HttpSettings.model_fields}
    defaults = HttpSettings()
    for name, default in rows.items():
        assert float(default) == getattr(defaults, name.lower()), name


def test_variables_reach_the_settings_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTRESS_HTTP__MAX_HEADER_BYTES", "4096")
    monkeypatch.setenv("FORTRESS_HTTP__HEADER_TIMEOUT_S", "2.5")
    http = Settings().http
    assert (http.max_header_bytes, http.header_timeout_s) == (4096, 2.5)
