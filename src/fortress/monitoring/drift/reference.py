"""The drift reference of one model version: frozen bins and the reference share of each bin.

Written at training time from the encoded training inputs (``catalog.encode``, so serving bins the
very arrays it sends the model) and the held-out predictions; stored in the version's baseline under
``"drift"`` (``training/run.py``). Bins per field kind:

- number: quantile bins (``NUMBER_BINS``); a value repeated across quantiles gets a bin of its own;
- category: the ``TOP_CATEGORIES`` most frequent values, then ``other`` (every value else, unseen too);
- text: quantile bins of the normalised text's length;
- tensor: quantile bins of each channel's mean (one feature per channel, ``image:channel0``, ...);
- prediction: one bin per label (argmax) and quantile bins of the confidence (the largest probability).

A bin holds ``edges[i-1] <= x < edges[i]`` (``numpy.searchsorted(edges, x, side="right")``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.errors import InvalidInput

FORMAT = 1
NUMBER_BINS = 10
TOP_CATEGORIES = 20
OTHER = "other"
PREDICTION_LABEL = "label"
PREDICTION_CONFIDENCE = "confidence"


class DriftReferenceInvalid(InvalidInput):
    """A stored reference that cannot be read (corrupt, or of another format)."""


@dataclass(frozen=True, slots=True)
class FeatureBins:
    name: str
    """The exported feature name: a field, or ``field:channelN`` for a tensor channel."""
    kind: FieldKind
    statistic: str
    """``psi`` or ``js`` (categories)."""
    share: np.ndarray
    """float64 reference share of each bin (sums to 1)."""
    edges: np.ndarray | None = None
    """Numbers, text lengths, channel means: the ``len(share) - 1`` ascending interior edges."""
    categories: tuple[str, ...] = ()
    """Categories: the value of each bin but the last (``other``)."""

    @property
    def labels(self) -> tuple[str, ...]:
        """A short name per bin (the ``bin`` label of the exported counters)."""
        if self.categories:
            return (*self.categories, OTHER)
        return tuple(str(i) for i in range(len(self.share)))

    def describe(self) -> list[str]:
        """A readable range per bin, for tables and reports."""
        if self.categories or self.edges is None:
            return list(self.labels)
        e = [f"{v:.4g}" for v in self.edges]
        if not e:
            return ["all"]
        return [f"< {e[0]}", *(f"[{a}, {b})" for a, b in itertools.pairwise(e)), f">= {e[-1]}"]

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        """The bin index of each value (numbers: float array; categories: object array of str)."""
        if self.categories:
            index = {c: i for i, c in enumerate(self.categories)}
            other = len(self.categories)
            return np.fromiter((index.get(v, other) for v in values), np.int64, count=len(values))
        assert self.edges is not None
        return np.searchsorted(self.edges, values, side="right").astype(np.int64)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value,
            "statistic": self.statistic,
            "share": self.share.tolist(),
        }
        if self.edges is not None:
            out["edges"] = self.edges.tolist()
        if self.categories:
            out["categories"] = list(self.categories)
        return out


@dataclass(frozen=True, slots=True)
class DriftReference:
    rows: int
    features: tuple[FeatureBins, ...]
    prediction: tuple[FeatureBins, ...] = ()
    """The label and confidence bins of the held-out predictions (empty when not stored)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "rows": self.rows,
            "features": {f.name: f.to_dict() for f in self.features},
            "prediction": {p.name: p.to_dict() for p in self.prediction},
        }


def quantile_edges(values: np.ndarray, bins: int = NUMBER_BINS) -> np.ndarray:
    """Interior edges of ``bins`` quantile bins of ``values``; a value repeated across quantiles (a
    point mass, e.g. the zeros of a count) gets a bin of its own, and the lowest bin is never empty."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return np.zeros(0)
    qs = np.quantile(v, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    unique, repeats = np.unique(qs, return_counts=True)
    edges = np.union1d(unique, np.nextafter(unique[repeats > 1], np.inf))
    distinct = np.unique(v)
    if distinct.size <= bins + 1:  # few distinct values: one bin each
        edges = distinct[1:]
    edges = edges[edges > v.min()]
    counts = np.bincount(np.searchsorted(edges, v, side="right"), minlength=len(edges) + 1)
    edges = edges[counts[:-1] > 0]  # edge i closes bin i: an empty bin joins the next one
    if len(edges) and counts[-1] == 0:
        edges = edges[:-1]
    out: np.ndarray = edges
    return out


def _share(bins: FeatureBins, values: np.ndarray, count: int) -> np.ndarray:
    counts = np.bincount(bins.bin_of(values), minlength=count).astype(np.float64)
    share: np.ndarray = counts / max(1.0, counts.sum())
    return share


def _numeric(name: str, kind: FieldKind, values: np.ndarray) -> FeatureBins:
    edges = quantile_edges(values)
    shell = FeatureBins(name, kind, "psi", np.zeros(len(edges) + 1), edges)
    return FeatureBins(name, kind, "psi", _share(shell, values, len(edges) + 1), edges)


def _categorical(name: str, values: np.ndarray) -> FeatureBins:
    uniques, counts = np.unique(values.astype(str), return_counts=True)
    order = np.argsort(-counts, kind="stable")[:TOP_CATEGORIES]
    categories = tuple(str(uniques[i]) for i in order)
    shell = FeatureBins(name, FieldKind.CATEGORY, "js", np.zeros(len(categories) + 1), None, categories)
    share = _share(shell, values, len(categories) + 1)
    return FeatureBins(name, FieldKind.CATEGORY, "js", share, None, categories)


def channel_means(images: np.ndarray) -> np.ndarray:
    """[rows, channels, ...] -> [rows, channels] float64 means."""
    means: np.ndarray = images.reshape(len(images), images.shape[1], -1).mean(axis=2, dtype=np.float64)
    return means


def text_lengths(texts: np.ndarray) -> np.ndarray:
    return np.fromiter(map(len, texts.reshape(-1).tolist()), np.float64, count=texts.size)


def build_reference(
    spec: ModelSpec, inputs: Mapping[str, np.ndarray], probabilities: np.ndarray | None = None
) -> DriftReference:
    """The reference of ``inputs`` (``encode_frame`` of the training data) and of ``probabilities``
    (the held-out evaluation's, [rows, labels])."""
    features: list[FeatureBins] = []
    rows = 0
    for tensor in spec.inputs:
        arr = inputs[tensor.name]
        rows = len(arr)
        kind = spec.kind_of(tensor.fields[0])
        if kind is FieldKind.NUMBER:
            features += [_numeric(f, kind, arr[:, j]) for j, f in enumerate(tensor.fields)]
        elif kind is FieldKind.CATEGORY:
            features += [_categorical(f, arr[:, j]) for j, f in enumerate(tensor.fields)]
        elif kind is FieldKind.TEXT:
            features.append(_numeric(tensor.fields[0], kind, text_lengths(arr)))
        else:
            means = channel_means(arr)
            name = tensor.fields[0]
            features += [_numeric(f"{name}:channel{c}", kind, means[:, c]) for c in range(means.shape[1])]
    return DriftReference(rows, tuple(features), prediction_bins(spec, probabilities))


def prediction_bins(spec: ModelSpec, probabilities: np.ndarray | None) -> tuple[FeatureBins, ...]:
    if probabilities is None or len(probabilities) == 0:
        return ()
    n_labels = probabilities.shape[1]
    counts = np.bincount(probabilities.argmax(axis=1), minlength=n_labels).astype(np.float64)
    share = np.append(counts / counts.sum(), 0.0)  # the last bin (other) is never predicted
    names = tuple(spec.labels) if len(spec.labels) == n_labels else tuple(map(str, range(n_labels)))
    label = FeatureBins(PREDICTION_LABEL, FieldKind.CATEGORY, "psi", share, None, names)
    confidence = _numeric(PREDICTION_CONFIDENCE, FieldKind.NUMBER, probabilities.max(axis=1))
    return (label, confidence)


def _bins(name: str, raw: Any) -> FeatureBins:
    try:
        kind = FieldKind(raw["kind"])
        share = np.asarray(raw["share"], dtype=np.float64)
        edges = np.asarray(raw["edges"], dtype=np.float64) if "edges" in raw else None
        categories = tuple(str(c) for c in raw.get("categories", ()))
        statistic = str(raw["statistic"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DriftReferenceInvalid(f"feature {name!r}: {type(exc).__name__}: {exc}") from None
    want = len(categories) + 1 if categories else (len(edges) + 1 if edges is not None else -1)
    if share.ndim != 1 or len(share) != want or statistic not in ("psi", "js"):
        raise DriftReferenceInvalid(f"feature {name!r}: {len(share)} shares for {want} bins ({statistic})")
    if not np.isfinite(share).all() or (share < 0).any() or abs(share.sum() - 1.0) > 1e-6:
        raise DriftReferenceInvalid(f"feature {name!r}: shares are not a distribution")
    if edges is not None and (not np.isfinite(edges).all() or (np.diff(edges) <= 0).any()):
        raise DriftReferenceInvalid(f"feature {name!r}: edges are not finite and ascending")
    return FeatureBins(name, kind, statistic, share, edges, categories)


def reference_from_baseline(baseline: Mapping[str, Any]) -> DriftReference | None:
    """The reference stored in a version's baseline; ``None`` when the version has none (trained
    before drift references existed). Raises ``DriftReferenceInvalid`` when it is unreadable."""
    raw = baseline.get("drift") if isinstance(baseline, Mapping) else None
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or raw.get("format") != FORMAT:
        got = raw.get("format") if isinstance(raw, Mapping) else type(raw).__name__
        raise DriftReferenceInvalid(f"drift reference of format {got!r}; this Fortress reads {FORMAT}")
    features, prediction = raw.get("features"), raw.get("prediction", {})
    if not isinstance(features, Mapping) or not isinstance(prediction, Mapping):
        raise DriftReferenceInvalid("drift reference without a features table")
    return DriftReference(
        int(raw.get("rows", 0)),
        tuple(_bins(str(n), f) for n, f in features.items()),
        tuple(_bins(str(n), p) for n, p in prediction.items()),
    )
