"""docs/FEATURES.md stays true: views, fields, formulas and settings are all there; examples run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fortress.features.scores import COMPUTATIONS
from fortress.features.settings import FeatureSettings
from fortress.features.views import VIEWS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "FEATURES.md").read_text()
_TTL = {"threat_features": "7 days", "user_features": "30 days", "network_features": "1 hour"}


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_and_field_is_documented(view: str) -> None:
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `{view}` |"))
    spec = VIEWS[view]
    assert f"| {spec.entity.name} |" in row
    assert f"| {_TTL.get(view, '7 days')} |" in row
    assert f"`{spec.group}`" in row
    for name in spec.field_names:
        assert f"`{name}`" in row, name


def test_every_formula_is_documented() -> None:
    for computation in COMPUTATIONS.values():
        assert f"| `{computation.name}` | {', '.join(computation.inputs)} | {computation.formula} |" in DOC


def test_every_setting_has_its_environment_name() -> None:
    for name in FeatureSettings.model_fields:
        assert f"`FORTRESS_FEATURES__{name.upper()}`" in DOC, name


def test_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    runnable = [b for b in blocks if "Protocol" not in b]
    assert runnable
    for block in runnable:
        exec(compile(block, "docs/FEATURES.md", "exec"), {})
