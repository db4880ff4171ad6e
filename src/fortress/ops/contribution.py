"""What each ensemble member adds: how often dropping it changes the verdict, from the inference log.

Only whole investigations count: the gateway logs every answer of a sampled or degraded investigation
(docs/MONITORING.md, "Inference log"), and only some answers of the others, whose verdict cannot be
recomputed. Per investigation each answering model's risk is recomputed as the gateway computes it
(the probability mass on the served version's malicious labels, of its riskiest record, clipped to
[0, 1]); the verdict is recomputed with every answer and again without each member, by the gateway's
own vote (injected as ``VerdictOf``: ops does not import the gateway). A fallback's answer counts for
the member it stood in for. Shadow answers never voted and are left out.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fortress.catalog.spec import ModelSpec
from fortress.errors import InvalidInput
from fortress.monitoring.inference_log.reader import files

Answer = tuple[str, float, float]
"""(member, catalog weight, risk)."""
VerdictOf = Callable[[Sequence[Answer]], str]
SpecOf = Callable[[str, int], ModelSpec | None]
COLUMNS = ["time", "investigation_id", "version", "route", "sampled", "degraded", "fallback_for"]
NO_VERDICT = "unknown"
"""The gateway's verdict when no model answered."""


@dataclass(frozen=True, slots=True)
class Contribution:
    investigations: int
    """Whole investigations in the log that this member answered."""
    verdict_changes: int
    """Of those, how many get another verdict when its answer is dropped."""

    @property
    def share(self) -> float | None:
        return self.verdict_changes / self.investigations if self.investigations else None


def logged_models(root: Path) -> list[str]:
    return sorted({p.name.split("=", 1)[1] for p in root.glob("date=*/model=*") if p.is_dir()})


def _risk(spec: ModelSpec, labels: Sequence[str], probabilities: Sequence[float]) -> float:
    bad = [p for label, p in zip(labels, probabilities, strict=True) if label in spec.malicious_labels]
    return min(1.0, max(0.0, float(np.sum(bad)))) if bad else 0.0


def read_answers(root: Path, since: float, until: float, spec_of: SpecOf) -> dict[str, dict[str, Answer]]:
    """investigation id -> member -> its answer, for the whole investigations logged in the window."""
    import pyarrow.parquet as pq

    risks: dict[str, dict[str, Answer]] = defaultdict(dict)
    partial: set[str] = set()
    weights: dict[str, float] = {}
    """A member's weight as served (the gateway weighs a fallback's answer with the member's weight)."""
    stood_in: list[tuple[str, str]] = []
    for model in logged_models(root):
        for path in files(root, model, since, until):
            try:
                table = pq.read_table(path, columns=[*COLUMNS, "labels", "probabilities"])
            except Exception as exc:  # a file cut short, or not ours: say which
                raise InvalidInput(
                    f"{path}: cannot read it as Parquet: {type(exc).__name__}: {exc}"
                ) from None
            for row in table.to_pylist():
                at = row["time"].timestamp()
                if not since <= at < until or row["route"] == "shadow":
                    continue
                investigation = str(row["investigation_id"])
                if not (row["sampled"] or row["degraded"]):
                    partial.add(investigation)
                    continue
                spec = spec_of(model, int(row["version"]))
                if spec is None:
                    continue
                member = row["fallback_for"] or model
                if row["fallback_for"]:
                    stood_in.append((investigation, member))
                else:
                    weights[member] = spec.weight
                risk = _risk(spec, row["labels"], row["probabilities"])
                known = risks[investigation].get(member)
                if known is None or risk > known[2]:  # several records: the riskiest one
                    risks[investigation][member] = (member, spec.weight, risk)
    for investigation, member in stood_in:
        name, weight, risk = risks[investigation][member]
        risks[investigation][member] = (name, weights.get(member, _catalog_weight(member, weight)), risk)
    return {k: v for k, v in risks.items() if k not in partial}


def _catalog_weight(model: str, default: float) -> float:
    from fortress.catalog import get_spec
    from fortress.errors import FortressError

    try:
        return get_spec(model).weight
    except FortressError:
        return default


def contributions(answers: dict[str, dict[str, Answer]], verdict_of: VerdictOf) -> dict[str, Contribution]:
    seen: dict[str, int] = defaultdict(int)
    changed: dict[str, int] = defaultdict(int)
    for by_member in answers.values():
        everyone = list(by_member.values())
        verdict = verdict_of(everyone)
        for member in by_member:
            seen[member] += 1
            without = [a for a in everyone if a[0] != member]
            if (verdict_of(without) if without else NO_VERDICT) != verdict:
                changed[member] += 1
    return {m: Contribution(seen[m], changed[m]) for m in sorted(seen)}


def from_log(
    root: Path, window_s: float, spec_of: SpecOf, verdict_of: VerdictOf, end: float | None = None
) -> dict[str, Any]:
    """The report's ``contribution`` entry: the log read over the ``window_s`` before ``end``."""
    end = time.time() if end is None else end
    answers = read_answers(root, end - window_s, end, spec_of) if root.is_dir() else {}
    return {
        "log": str(root),
        "investigations": len(answers),
        "members": {
            m: {"investigations": c.investigations, "verdict_changes": c.verdict_changes, "share": c.share}
            for m, c in contributions(answers, verdict_of).items()
        },
    }
