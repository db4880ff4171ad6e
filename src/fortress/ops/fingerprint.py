"""The champion fingerprint: a digest of the answers every model's champion gives to a fixed set of
investigations. Two homes with the same champions (same graphs, same specs, same ensemble settings)
give the same fingerprint; anything else that changes an answer changes it.

Only what an answer decides is digested: ``predictions``, ``confidence_scores``, ``ensemble``,
``degraded`` and ``unavailable`` (not the latency, the cache flag or the id). Floats are rounded to
6 decimals, below which the same graph on the same rows may differ with the batch it ran in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

ANSWER_FIELDS = ("predictions", "confidence_scores", "ensemble", "degraded", "unavailable")
DECIMALS = 6

Investigations = list[dict[str, Any]]
Answerer = Callable[[Investigations], list[dict[str, Any]]]
"""Investigations -> the gateway's answer bodies, in order."""


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, DECIMALS) + 0.0  # -0.0 and 0.0 alike
    if isinstance(value, Mapping):
        return {str(k): _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def answer_digest(answer: Mapping[str, Any]) -> str:
    decided = {name: _rounded(answer.get(name)) for name in ANSWER_FIELDS}
    return hashlib.sha256(json.dumps(decided, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def digest(answers: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(answers).encode()).hexdigest()


def fingerprint(
    investigations: Investigations, answers: Sequence[Mapping[str, Any]], champions: Mapping[str, int]
) -> dict[str, Any]:
    per = [answer_digest(a) for a in answers]
    return {
        "digest": digest(per),
        "answers": per,
        "investigations": len(investigations),
        "degraded": sum(1 for a in answers if a.get("degraded")),
        "champions": dict(sorted(champions.items())),
    }
