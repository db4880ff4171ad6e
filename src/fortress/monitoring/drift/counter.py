"""``BinCounter``: served rows of one model version counted into its reference bins.

The request path only appends the call's encoded input arrays and its probabilities to a list (no
copy: the arrays are the ones the model ran on, never written afterwards); every ``flush_rows`` calls,
or when a snapshot is taken, the held calls are binned together: per input tensor one
``numpy.concatenate`` and one vectorized pass (numbers, text lengths and channel means: one
comparison of the float64 batch against the [edges, columns] matrix, summed over the edges;
categories: one C-level ``dict.get`` per value through ``map``), then one ``numpy.bincount`` of the
flat bin indexes. The counts are one flat int64 array (``features`` and ``predictions`` name its slices): a
``snapshot()`` is a copy of it, and snapshots of several processes add up.
"""

from __future__ import annotations

import itertools
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
    """Numeric kinds: [most edges, columns] float64 (C-contiguous), each column padded with +inf (a
    bin never reached), so one comparison bins every column at once: the bin of ``x`` is the number of
    its column's edges ``<= x`` (what ``searchsorted(side="right")`` gives per column)."""
    starts: np.ndarray
    """int64 offset of each column's first bin."""
    lookups: tuple[tuple[dict[object, int], int], ...] = ()
    """Categories, per column: value -> flat index of its bin, and the flat index of ``other``."""


def _padded(segments: list[Segment]) -> np.ndarray:
    widest = max((len(s.bins.edges) for s in segments if s.bins.edges is not None), default=0)
    out = np.full((widest, len(segments)), np.inf)
    for i, seg in enumerate(segments):
        edges = seg.bins.edges if seg.bins.edges is not None else np.zeros(0)
        out[: len(edges), i] = edges
    return out


def _lookups(segments: list[Segment]) -> tuple[tuple[dict[object, int], int], ...]:
    return tuple(
        ({c: s.start + i for i, c in enumerate(s.bins.categories)}, s.start + len(s.bins.categories))
        for s in segments
    )


class BinCounter:
    def __init__(self, spec: ModelSpec, reference: DriftReference, flush_rows: int = 256) -> None:
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
            lookups = _lookups(segments) if kind is FieldKind.CATEGORY else ()
            inputs.append(_Input(tensor.name, kind, tuple(segments), _padded(segments), starts, lookups))
            features += segments
        self.features = tuple(features)
        predictions = []
        for p in reference.prediction:
            predictions.append(Segment(p, offset))
            offset += len(p.share)
        self.predictions = tuple(predictions)
        self._inputs = tuple(inputs)
        self._label: int | None = None
        self._confidence: tuple[int, np.ndarray] | None = None
        for seg in predictions:
            if seg.bins.name == PREDICTION_LABEL:
                self._label = seg.start
            elif seg.bins.name == PREDICTION_CONFIDENCE and seg.bins.edges is not None:
                self._confidence = (seg.start, seg.bins.edges)
        self.size = offset
        self.counts = np.zeros(offset, dtype=np.int64)
        self.rows = 0
        self.flush_rows = flush_rows
        self.pending: list[tuple[Mapping[str, np.ndarray], np.ndarray | None]] = []
        """The held calls (``DriftMonitor.observe`` appends to it directly, as ``add`` does)."""

    def add(self, feeds: Mapping[str, np.ndarray], probabilities: np.ndarray | None) -> None:
        """Hot path: hold the call's arrays; bin them with the next ``flush_rows`` - 1 calls."""
        pending = self.pending
        pending.append((feeds, probabilities))
        if len(pending) >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if not pending:
            return
        indexes: list[np.ndarray] = []
        rows = -1
        for spec_input in self._inputs:
            name = spec_input.name
            arr = np.concatenate([feeds[name] for feeds, _ in pending])
            rows = len(arr)
            indexes += self._bin_input(spec_input, arr)
        if rows < 0:  # a model without inputs (never in the catalog): count the calls' rows
            rows = sum(len(next(iter(feeds.values()))) for feeds, _ in pending)
        if self.predictions:
            probs = [p for _, p in pending if p is not None]
            if probs:
                indexes += self._bin_predictions(np.concatenate(probs))
        self.rows += rows
        if indexes:
            self.counts += np.bincount(np.concatenate(indexes), minlength=self.size)

    def _bin_input(self, spec_input: _Input, arr: np.ndarray) -> list[np.ndarray]:
        kind = spec_input.kind
        if kind is FieldKind.CATEGORY:
            n = len(arr)
            return [
                np.fromiter(map(index.get, column, itertools.repeat(other, n)), np.int64, n)
                for (index, other), column in zip(spec_input.lookups, arr.T.tolist(), strict=True)
            ]
        if kind is FieldKind.TEXT:
            columns = text_lengths(arr)[:, None]
        elif kind is FieldKind.TENSOR:
            columns = channel_means(arr)
        else:
            columns = np.asarray(arr, dtype=np.float64)  # what the comparison casts to anyway
        # [edges, rows, columns] booleans summed over the edges: adds of whole [rows, columns] planes
        reached = columns[None, :, :] >= spec_input.edges[:, None, :]
        bins = reached.view(np.uint8).sum(axis=0, dtype=np.int64)
        bins += spec_input.starts
        return [bins.ravel()]

    def _bin_predictions(self, probs: np.ndarray) -> list[np.ndarray]:
        out = []
        if self._label is not None:
            out.append(self._label + probs.argmax(axis=1))
        if self._confidence is not None:
            start, edges = self._confidence
            out.append(start + np.searchsorted(edges, probs.max(axis=1), side="right"))
        return out

    def snapshot(self) -> np.ndarray:
        """A copy of the cumulative counts (every held call binned first)."""
        self.flush()
        return self.counts.copy()
