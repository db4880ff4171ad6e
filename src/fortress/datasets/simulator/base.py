"""What every task generator returns, and the sampling and noise helpers the generators share."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
ObjectArray = npt.NDArray[np.object_]


@dataclass(frozen=True, slots=True)
class Sample:
    """``n`` simulated rows: features in spec order, int64 label indices, optional per-row group."""

    X: pd.DataFrame
    y: IntArray
    groups: ObjectArray | None = None


TaskGenerator = Callable[[int, np.random.Generator], Sample]
"""``generate(n, rng)``: draw ``n`` independent labelled rows from a task's distribution."""


def frame(columns: Mapping[str, npt.ArrayLike], names: Sequence[str]) -> pd.DataFrame:
    """A DataFrame with exactly ``names`` as columns, in that order; numeric columns become float64."""
    missing = set(names) ^ set(columns)
    if missing:
        raise ValueError(f"simulator columns differ from the spec: {sorted(missing)}")
    data: dict[str, npt.ArrayLike] = {}
    for name in names:
        values = np.asarray(columns[name])
        data[name] = values if values.dtype.kind in "OUS" else values.astype(np.float64)
    return pd.DataFrame(data, columns=list(names))


def strings(
    rng: np.random.Generator, options: Sequence[str], n: int, p: Sequence[float] | None = None
) -> ObjectArray:
    """``n`` draws from ``options`` (optionally weighted) as an object array of ``str``."""
    weights = None if p is None else np.asarray(p, dtype=np.float64) / np.sum(p)
    picks = rng.choice(len(options), size=n, p=weights)
    return np.asarray(options, dtype=object)[picks]


def pick(rng: np.random.Generator, p: Sequence[float], n: int) -> IntArray:
    """``n`` indices drawn with (unnormalised) weights ``p``: the archetype of each row."""
    weights = np.asarray(p, dtype=np.float64)
    return rng.choice(len(weights), size=n, p=weights / weights.sum()).astype(np.int64)


def lognormal(
    rng: np.random.Generator, median: npt.ArrayLike, sigma: float | FloatArray, n: int
) -> FloatArray:
    """Heavy-tailed positive values around ``median`` (``sigma`` is the spread of the log)."""
    return rng.lognormal(np.log(np.asarray(median, dtype=np.float64)), sigma, n)


def beta_mean(rng: np.random.Generator, mean: npt.ArrayLike, concentration: float, n: int) -> FloatArray:
    """Values in (0, 1) with the given ``mean``; a larger ``concentration`` means less spread."""
    m = np.clip(np.asarray(mean, dtype=np.float64), 1e-3, 1 - 1e-3)
    return rng.beta(m * concentration, (1 - m) * concentration, n)


def counts(rng: np.random.Generator, mean: npt.ArrayLike, dispersion: float, n: int) -> FloatArray:
    """Overdispersed (negative-binomial) counts with the given ``mean``; small ``dispersion`` = heavy tail."""
    mu = np.maximum(np.asarray(mean, dtype=np.float64), 1e-6)
    return rng.negative_binomial(dispersion, dispersion / (dispersion + mu), n).astype(np.float64)


def flip_binary(
    y: IntArray, rng: np.random.Generator, positive_rate: float, negative_rate: float
) -> IntArray:
    """Label noise: each positive becomes negative with ``positive_rate`` and vice versa."""
    rate = np.where(y == 1, positive_rate, negative_rate)
    flip = rng.random(y.size) < rate
    return np.where(flip, 1 - y, y).astype(np.int64)


def flip_multiclass(y: IntArray, rng: np.random.Generator, rate: float, n_classes: int) -> IntArray:
    """Label noise: a ``rate`` share of rows get a uniformly drawn *other* class."""
    flip = rng.random(y.size) < rate
    other = (y + rng.integers(1, n_classes, y.size)) % n_classes
    return np.where(flip, other, y).astype(np.int64)


Archetype = tuple[int, float, Callable[[int, np.random.Generator], Mapping[str, npt.ArrayLike]]]
"""(label, share of rows, maker of the columns of that many rows)."""


def mixture(
    n: int, rng: np.random.Generator, archetypes: Sequence[Archetype], columns: dict[str, np.ndarray]
) -> IntArray:
    """Fill ``columns`` (preallocated, n rows) from a mixture of archetypes; return the clean labels."""
    kind = pick(rng, [w for _, w, _ in archetypes], n)
    for k, (_, _, make) in enumerate(archetypes):
        rows = np.flatnonzero(kind == k)
        if rows.size:
            for name, values in make(rows.size, rng).items():
                columns[name][rows] = values
    labels: IntArray = np.array([c for c, _, _ in archetypes], dtype=np.int64)[kind]
    return labels
