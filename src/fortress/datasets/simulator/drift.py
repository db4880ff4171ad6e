"""Controlled distribution shift for the test split or for simulated serving traffic.

A ``Drift`` says how the drifted data differ from the training data:

* ``shifts[field] = k`` moves a numeric field by ``k`` training standard deviations
  (``x' = x + k * std_train``); the shape of its distribution is unchanged.
* ``scale[field] = s`` stretches a numeric field around its training mean
  (``x' = mean_train + s * (x - mean_train)``), applied before the shift.
* ``label_prior[label] = p`` draws a ``p`` share of rows from that class; the classes not named share
  what is left in proportion to their natural frequencies.

Values are not clipped back into a field's natural range: a drifted ratio may leave [0, 1], as a
broken upstream feed would, so that monitoring sees exactly the requested shift.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from fortress.datasets.simulator.base import IntArray, Sample
from fortress.errors import InvalidInput

_MAX_POOL_DRAWS = 200


@dataclass(frozen=True)
class Drift:
    """How drifted data differ from the training data (see the module docstring)."""

    shifts: Mapping[str, float] = field(default_factory=dict)
    """Numeric field -> shift of its mean, in training standard deviations."""
    scale: Mapping[str, float] = field(default_factory=dict)
    """Numeric field -> multiplier of its spread around the training mean (> 0)."""
    label_prior: Mapping[str, float] = field(default_factory=dict)
    """Label -> share of rows of that class (each in [0, 1], together at most 1)."""

    def __post_init__(self) -> None:
        # read-only copies, so that later edits of the caller's dicts do not leak in
        for kind in ("shifts", "scale", "label_prior"):
            object.__setattr__(self, kind, MappingProxyType(dict(getattr(self, kind))))
        for name, value in (*self.shifts.items(), *self.scale.items(), *self.label_prior.items()):
            if not math.isfinite(value):
                raise InvalidInput(f"drift for {name!r} is not a finite number: {value}")
        bad_scale = sorted(n for n, s in self.scale.items() if s <= 0)
        if bad_scale:
            raise InvalidInput(f"drift scale must be > 0 for {bad_scale}")
        if any(not 0.0 <= p <= 1.0 for p in self.label_prior.values()):
            raise InvalidInput("drift label_prior shares must lie in [0, 1]")
        if sum(self.label_prior.values()) > 1.0 + 1e-9:
            raise InvalidInput("drift label_prior shares add up to more than 1")

    @property
    def moves_features(self) -> bool:
        return bool(self.shifts) or bool(self.scale)

    def describe(self) -> str:
        parts = [f"{kind}={dict(values)}" for kind, values in self._parts() if values]
        return "drift: " + " ".join(parts) if parts else ""

    def _parts(self) -> tuple[tuple[str, Mapping[str, float]], ...]:
        return (("shifts", self.shifts), ("scale", self.scale), ("label_prior", self.label_prior))


def check_drift(drift: Drift, numeric_fields: Sequence[str], labels: Sequence[str], task: str) -> None:
    """Reject fields that are not numeric fields of the task and labels the task does not have."""
    unknown = sorted((set(drift.shifts) | set(drift.scale)) - set(numeric_fields))
    if unknown:
        raise InvalidInput(
            f"{task}: drift names fields that are not numeric fields of the task: {unknown}; "
            f"numeric fields: {', '.join(numeric_fields) or '(none)'}"
        )
    unknown_labels = sorted(set(drift.label_prior) - set(labels))
    if unknown_labels:
        raise InvalidInput(f"{task}: drift label_prior names unknown labels {unknown_labels}")


def move_features(X: pd.DataFrame, reference: pd.DataFrame, drift: Drift) -> pd.DataFrame:
    """Apply ``scale`` then ``shifts``, in units of ``reference`` (the training features)."""
    out = X.copy()
    for name, factor in drift.scale.items():
        mean = float(reference[name].mean())
        out[name] = mean + factor * (out[name].to_numpy(np.float64) - mean)
    for name, amount in drift.shifts.items():
        out[name] = out[name].to_numpy(np.float64) + amount * float(reference[name].std())
    return out


def draw_with_prior(
    draw: Callable[[int], Sample],
    n: int,
    labels: Sequence[str],
    prior: Mapping[str, float],
    rng: np.random.Generator,
) -> Sample:
    """``n`` rows whose class shares follow ``prior``, taken from i.i.d. draws of the task.

    ``draw`` and ``rng`` must be seeded, so the result is determined by the seed.
    """
    pool = [draw(max(n, 1000))]
    natural = np.bincount(pool[0].y, minlength=len(labels)) / len(pool[0].y)
    wanted = _class_counts(n, labels, prior, natural)
    have = natural * len(pool[0].y)
    while np.any(have < wanted):
        if len(pool) >= _MAX_POOL_DRAWS:
            raise InvalidInput(f"label_prior {dict(prior)} asks for more of a rare class than can be drawn")
        pool.append(draw(max(n, 1000)))
        have = have + np.bincount(pool[-1].y, minlength=len(labels))
    X = pd.concat([s.X for s in pool], ignore_index=True)
    y = np.concatenate([s.y for s in pool])
    rows = np.concatenate([np.flatnonzero(y == c)[:k] for c, k in enumerate(wanted)])
    rows = rng.permutation(rows)
    groups = None
    if pool[0].groups is not None:
        groups = np.concatenate([s.groups for s in pool if s.groups is not None])[rows]
    return Sample(X.iloc[rows].reset_index(drop=True), y[rows], groups)


def _class_counts(n: int, labels: Sequence[str], prior: Mapping[str, float], natural: np.ndarray) -> IntArray:
    share = np.array([prior.get(label, 0.0) for label in labels], dtype=np.float64)
    free = np.array([label not in prior for label in labels])
    rest = 1.0 - share.sum()
    if free.any() and natural[free].sum() > 0:
        share[free] = rest * natural[free] / natural[free].sum()
    elif share.sum() <= 0:
        raise InvalidInput("label_prior gives every class a share of 0")
    share = share / share.sum()
    exact = share * n
    counts: IntArray = np.floor(exact).astype(np.int64)
    remainder = n - int(counts.sum())
    counts[np.argsort(counts - exact)[:remainder]] += 1  # largest remainders first
    return counts
