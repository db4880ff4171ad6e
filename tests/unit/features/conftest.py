"""One applied, filled and materialized feature repository, shared by the store tests (read-only)."""

from __future__ import annotations

import pytest

from fortress.features.settings import FeatureSettings, QualityLimits
from support.features import Filled, fill


@pytest.fixture(scope="session")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Filled:
    settings = FeatureSettings(quality={"user_activity": QualityLimits(min_rows=100, max_null_ratio=0.01)})
    return fill(tmp_path_factory.mktemp("features-home"), settings)
