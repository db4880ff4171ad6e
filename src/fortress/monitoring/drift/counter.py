"""``BinCounter``: served rows of one model version counted into its reference bins.

The request path only appends the call's encoded input arrays and its probabilities to a list (no
copy: the arrays are the ones the model ran on, never written afterwards); every ``flush_rows`` calls,
or when a snapshot is taken, the held calls are binned together with one ``numpy.searchsorted`` per
feature and one ``numpy.bincount``. The counts are one flat int64 array (``layout`` names its slices):
a ``snapshot()`` is a copy of it, and snapshots of several processes add up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.monitoring.drift.reference import (
    PREDICTION_CONFIDENCE,
    PREDICTION_LABEL,
    DriftReference,
    DriftReferenceInvalid,
    FeatureBins,
    channel_means,
    text_lengths,
)


@dataclass(frozen=True, slots=True)
class Segment:
    bins: FeatureBins
    start: int
    """Offset of the feature's first bin in the flat counts."""

    @property
    def stop(self) -> int:
        return self.start + len(self.bins.share)


@dataclass(frozen=True, slots=True)
class _Input:
    """One input tensor of the model and the segments of its columns."""

    name: str
    kind: FieldKind
    segments: tuple[Segment, ...]
    edges: np.ndarray
    """Numeric kinds: [columns, most edges] float64, each row padded with +inf (a bin never reached),
    so one comparison bins every column at once (what ``searchsorted(side="right")`` gives per column)."""
    starts: np.ndarray
    """int64 offset of each column's first bin."""


def _padded(segments: list[Segment]) -> np.ndarray:
    widest = max((len(s.bins.edges) for s in segments if s.bins.edges is not None), default=0)
    out = np.full((len(segments), widest), np.inf)
    for i, seg in enumerate(segments):
        edges = seg.bins.edges if seg.bins.edges is not None else np.zeros(0)
        out[i, : len(edges)] = edges
    return out


class BinCounter:
    def __init__(self, spec: ModelSpec, reference: DriftReference, flush_rows: int = 64) -> None:
        by_name = {f.name: f for f in reference.features}
        offset = 0
        inputs: list[_Input] = []
        features: list[Segment] = []
        for tensor in spec.inputs:
            kind = spec.kind_of(tensor.fields[0])
            names = (
                [f"{tensor.fields[0]}:channel{c}" for c in range(tensor.shape[0])]
                if kind is FieldKind.TENSOR
                else list(tensor.fields)
            )
            missing = [n for n in names if n not in by_name]
            if missing:
                raise DriftReferenceInvalid(f"the reference has no bins for {missing}")
            segments = []
            for n in names:
                bins = by_name[n]
                if (bins.edges is None) != (kind is FieldKind.CATEGORY):
                    raise DriftReferenceInvalid(f"the reference bins {n!r} as another kind of field")
                segments.append(Segment(bins, offset))
                offset += len(bins.share)
            starts = np.array([seg.start for seg in segments], dtype=np.int64)
            inputs.append(_Input(tensor.name, kind, tuple(segments), _padded(segments), starts))
            features += segments
        self.features = tuple(features)
        predictions = []
        for p in reference.prediction:
            predictions.append(Segment(p, offset))
            offset += len(p.share)
        self.predictions = tuple(predictions)
        self._inputs = tuple(inputs)
        self._category_index = {
            s.start: {c: i for i, c in enumerate(s.bins.categories)}
            for i in inputs
            if i.kind is FieldKind.CATEGORY
            for s in i.segments
        }
        self.size = offset
        self.counts = np.zeros(offset, dtype=np.int64)
        self.rows = 0
        self.flush_rows = flush_rows
        self._pending: list[tuple[Mapping[str, np.ndarray], np.ndarray | None]] = []

    def add(self, feeds: Mapping[str, np.ndarray], probabilities: np.ndarray | None) -> None:
        """Hot path: hold the call's arrays; bin them with the next ``flush_rows`` - 1 calls."""
        pending = self._pending
        pending.append((feeds, probabilities))
        if len(pending) >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        indexes: list[np.ndarray] = []
        for spec_input in self._inputs:
            arr = np.concatenate([feeds[spec_input.name] for feeds, _ in pending])
            indexes += self._bin_input(spec_input, arr)
        probs = [p for _, p in pending if p is not None]
        if self.predictions and probs:
            indexes += self._bin_predictions(np.concatenate(probs))
        self.rows += sum(len(next(iter(feeds.values()))) for feeds, _ in pending)
        if indexes:
            self.counts += np.bincount(np.concatenate(indexes), minlength=self.size)

    def _bin_input(self, spec_input: _Input, arr: np.ndarray) -> list[np.ndarray]:
        kind = spec_input.kind
        if kind is FieldKind.CATEGORY:
            out = []
            for j, seg in enumerate(spec_input.segments):
                index, other = self._category_index[seg.start], len(seg.bins.categories)
                column = arr[:, j]
                out.append(
                    seg.start + np.fromiter((index.get(v, other) for v in column), np.int64, len(column))
                )
            return out
        if kind is FieldKind.TEXT:
            columns = text_lengths(arr)[:, None]
        elif kind is FieldKind.TENSOR:
            columns = channel_means(arr)
        else:
            columns = arr
        bins = (columns[:, :, None] >= spec_input.edges).sum(axis=2)
        return [(bins + spec_input.starts).ravel()]

    def _bin_predictions(self, probs: np.ndarray) -> list[np.ndarray]:
        out = []
        for seg in self.predictions:
            if seg.bins.name == PREDICTION_LABEL:
                out.append(seg.start + probs.argmax(axis=1))
            elif seg.bins.name == PREDICTION_CONFIDENCE and seg.bins.edges is not None:
                out.append(seg.start + np.searchsorted(seg.bins.edges, probs.max(axis=1), side="right"))
        return out

    def snapshot(self) -> np.ndarray:
        """A copy of the cumulative counts (every held call binned first)."""
        self.flush()
        return self.counts.copy()
