"""The ensemble vote (docs/ENSEMBLE.md): weights, decisiveness, abstentions, alarms, coverage."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fortress.gateway.ensemble import Vote, vote
from fortress.gateway.ensemble_settings import EnsembleSettings

SETTINGS = EnsembleSettings()


def test_the_risk_score_weighs_sure_models_up_to_twice_unsure_ones() -> None:
    votes = [Vote("a", 1.0, 1.0), Vote("b", 1.0, 0.5)]  # a is sure (weight 1), b undecided (0.5)
    result = vote(votes, 2.0, SETTINGS)
    assert result["risk_score"] == pytest.approx((1.0 * 1.0 + 0.5 * 0.5) / 1.5)
    assert result["verdict"] == "malicious"


def test_verdict_thresholds() -> None:
    assert vote([Vote("a", 1.0, 0.05)], 1.0, SETTINGS)["verdict"] == "benign"
    assert vote([Vote("a", 1.0, 0.5)], 1.0, SETTINGS)["verdict"] == "suspicious"
    assert vote([Vote("a", 1.0, 0.95)], 1.0, SETTINGS)["verdict"] == "malicious"


def test_one_sure_alarm_is_never_averaged_into_benign() -> None:
    votes = [Vote("ids", 1.5, 0.97)] + [Vote(f"quiet{i}", 1.0, 0.01) for i in range(8)]
    result = vote(votes, 9.5, SETTINGS)
    assert result["risk_score"] < SETTINGS.suspicious_threshold
    assert result["verdict"] == "suspicious"
    assert result["drivers"][0]["model"] == "ids"
    light = [Vote("weak", 0.5, 0.97)] + [Vote(f"quiet{i}", 1.0, 0.01) for i in range(8)]
    assert vote(light, 8.5, SETTINGS)["verdict"] == "benign"  # an alarm needs weight >= 1


def test_weight_zero_abstains_and_no_voter_is_benign_with_zero_confidence() -> None:
    result = vote([Vote("style", 0.0, 0.9), Vote("a", 1.0, 0.2)], 1.0, SETTINGS)
    assert result["abstained"] == ["style"]
    assert [d["model"] for d in result["drivers"]] == ["a"]
    only = vote([Vote("style", 0.0, 0.9)], 0.0, SETTINGS)
    assert (only["verdict"], only["confidence"], only["drivers"]) == ("benign", 0.0, [])


def test_confidence_falls_with_disagreement_and_missing_models() -> None:
    agree = vote([Vote("a", 1.0, 0.9), Vote("b", 1.0, 0.9)], 2.0, SETTINGS)
    split = vote([Vote("a", 1.0, 0.95), Vote("b", 1.0, 0.05)], 2.0, SETTINGS)
    partial = vote([Vote("a", 1.0, 0.9)], 2.0, SETTINGS)  # half of the requested weight answered
    assert agree["confidence"] == pytest.approx(1.0)
    assert split["confidence"] < 0.6
    assert partial["confidence"] == pytest.approx(0.5)


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValidationError, match="suspicious_threshold"):
        EnsembleSettings(suspicious_threshold=0.8, malicious_threshold=0.6)
