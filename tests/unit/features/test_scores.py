"""The computations give the same value vectorized over a batch and on one event."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fortress.features.errors import FeatureInputError
from fortress.features.scores import (
    BEHAVIORAL_SCORE,
    COMPUTATIONS,
    NETWORK_SCORE,
    RISK_PROFILE,
    THREAT_LEVEL,
    Computation,
)

BLUEPRINT_FIVE = ("network_score", "behavioral_score", "temporal_score", "activity_pattern", "risk_profile")
_UNIT = st.floats(0.0, 1.0, allow_nan=False)
_COUNT = st.floats(0.0, 500.0, allow_nan=False)
_BIG = st.floats(0.0, 1e6, allow_nan=False)
_RANGES = {
    "data_download_mb": _BIG,
    "traffic_volume": _BIG,
    "api_calls_per_hour": _BIG,
    "privileged_actions": _COUNT,
    "distinct_ips_7d": _COUNT,
    "sessions_per_hour": _COUNT,
    "sessions_per_day": _COUNT,
    "sessions": _COUNT,
    "suspicious_ports": st.floats(0.0, 4.0),
    "unusual_protocols": st.floats(0.0, 3.0),
    "threat_encounters": _COUNT,
}


def _records(computation: Computation) -> st.SearchStrategy[list[dict[str, float]]]:
    one = st.fixed_dictionaries({name: _RANGES.get(name, _UNIT) for name in computation.inputs})
    return st.lists(one, min_size=1, max_size=40)


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_the_blueprint_five_are_registered() -> None:
    assert set(BLUEPRINT_FIVE) <= set(COMPUTATIONS)
    for name, computation in COMPUTATIONS.items():
        assert computation.name == name
        assert computation.formula


@pytest.mark.parametrize("name", sorted(COMPUTATIONS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_batch_and_one_event_agree_exactly(name: str, data: st.DataObject) -> None:
    computation = COMPUTATIONS[name]
    rows = data.draw(_records(computation))
    batch = computation.batch(pd.DataFrame(rows, index=np.arange(len(rows)) * 3))
    assert list(batch.index) == [i * 3 for i in range(len(rows))]
    for i, row in enumerate(rows):
        assert _same(batch.iloc[i], computation.one(row)), (name, row)


@pytest.mark.parametrize("name", sorted(COMPUTATIONS))
def test_a_missing_input_gives_nan_both_ways(name: str) -> None:
    computation = COMPUTATIONS[name]
    row = dict.fromkeys(computation.inputs, 0.5)
    row[computation.inputs[0]] = float("nan")
    assert math.isnan(computation.one(row))
    assert math.isnan(computation.batch(pd.DataFrame([row])).iloc[0])


def test_network_score_follows_the_blueprint() -> None:
    event = {"ip_reputation": 0.2, "suspicious_ports": 2, "unusual_protocols": 1, "geo_risk": 0.4}
    expected = 0.3 * 0.8 + 0.1 * 2 + 0.15 * 1 + 0.25 * 0.4
    assert NETWORK_SCORE.one(event) == pytest.approx(expected)
    assert NETWORK_SCORE.one({**event, "suspicious_ports": 4, "unusual_protocols": 3}) == 1.0


def test_scores_stay_in_range_and_order() -> None:
    calm = {
        "failed_action_ratio": 0.02,
        "after_hours_ratio": 0.05,
        "new_resource_ratio": 0.05,
        "privileged_actions": 0,
        "data_download_mb": 300,
        "distinct_ips_7d": 1,
        "api_calls_per_hour": 5,
    }
    exfiltration = {**calm, "data_download_mb": 20_000, "after_hours_ratio": 0.5, "new_resource_ratio": 0.4}
    assert 0.0 <= BEHAVIORAL_SCORE.one(calm) < 0.2 < 0.8 < BEHAVIORAL_SCORE.one(exfiltration) <= 1.0
    assert RISK_PROFILE.one({"behavioral_score": 0.0, "threat_encounters": 0}) == 0.0
    assert RISK_PROFILE.one({"behavioral_score": 0.1, "threat_encounters": 6}) > 0.85


def test_threat_level_is_a_whole_number_from_0_to_3() -> None:
    names = THREAT_LEVEL.inputs
    assert THREAT_LEVEL.one(dict.fromkeys(names, 0.0)) == 0.0
    assert THREAT_LEVEL.one(dict.fromkeys(names, 1.0)) == 3.0
    assert THREAT_LEVEL.one(dict.fromkeys(names, 0.5)) == 2.0


def test_missing_inputs_are_named() -> None:
    with pytest.raises(FeatureInputError, match=r"network_score: missing input\(s\) \['geo_risk'\]"):
        NETWORK_SCORE.one({"ip_reputation": 1, "suspicious_ports": 0, "unusual_protocols": 0})
    with pytest.raises(FeatureInputError, match="missing input column"):
        NETWORK_SCORE.batch(pd.DataFrame({"ip_reputation": [1.0]}))
