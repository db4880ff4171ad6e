"""The ensemble vote: per-model risks -> one risk score, a verdict, a confidence and its drivers.

The formula (docs/ENSEMBLE.md explains it with an example):

- every answering model m has a catalog weight w_m and a risk r_m in [0, 1];
- a model with w_m = 0 abstains (it answers, e.g. writing-style attribution, but does not vote);
- decisiveness d_m = |2 r_m - 1|; vote weight v_m = w_m (1 + d_m) / 2, so a sure model counts up to
  twice an unsure one;
- risk score R = sum(v_m r_m) / sum(v_m);
- verdict: R >= malicious_threshold -> malicious, R >= suspicious_threshold -> suspicious, else benign;
  one alarm raises a benign verdict to suspicious: a voting model with r_m >= alarm_threshold and
  w_m >= 1 is never averaged away;
- confidence = agreement x coverage: agreement = sum(v_m (1 - |r_m - R|)) / sum(v_m), coverage = the
  answered share of the catalog weight the request asked for (a degraded answer is less confident);
- drivers: voting models ranked by contribution v_m r_m / sum(v_m) (their share of R).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fortress.gateway.ensemble_settings import EnsembleSettings


@dataclass(frozen=True, slots=True)
class Vote:
    model: str
    weight: float
    risk: float


def vote(votes: Sequence[Vote], requested_weight: float, settings: EnsembleSettings) -> dict[str, object]:
    """The ``ensemble`` entry of a response (see module docstring); ``None`` fields never occur."""
    voting = [v for v in votes if v.weight > 0]
    abstained = sorted(v.model for v in votes if v.weight <= 0)
    if not voting:
        return {
            "risk_score": 0.0,
            "verdict": "benign",
            "confidence": 0.0,
            "drivers": [],
            "abstained": abstained,
        }
    weights = [v.weight * (1.0 + abs(2.0 * v.risk - 1.0)) / 2.0 for v in voting]
    total = sum(weights)
    risk = sum(w * v.risk for w, v in zip(weights, voting, strict=True)) / total
    agreement = sum(w * (1.0 - abs(v.risk - risk)) for w, v in zip(weights, voting, strict=True)) / total
    answered = sum(v.weight for v in voting)
    coverage = min(1.0, answered / requested_weight) if requested_weight > 0 else 1.0
    drivers = sorted(
        (
            {"model": v.model, "risk": v.risk, "weight": v.weight, "contribution": w * v.risk / total}
            for w, v in zip(weights, voting, strict=True)
        ),
        key=lambda d: (-float(d["contribution"]), str(d["model"])),  # type: ignore[arg-type]
    )
    return {
        "risk_score": risk,
        "verdict": _verdict(risk, voting, settings),
        "confidence": agreement * coverage,
        "drivers": drivers,
        "abstained": abstained,
    }


def _verdict(risk: float, voting: Sequence[Vote], settings: EnsembleSettings) -> str:
    if risk >= settings.malicious_threshold:
        return "malicious"
    if risk >= settings.suspicious_threshold:
        return "suspicious"
    if any(v.weight >= 1.0 and v.risk >= settings.alarm_threshold for v in voting):
        return "suspicious"
    return "benign"
