"""Logged rows as Arrow tables: one table per (date, model, fields), the layout on disk, and back.

Layout under the log's root (Hive partitioning, as pyarrow and Spark read it)::

    date=2026-12-04/model=threat_classifier/part-<unix ms>-<pid>-<n>.parquet

Columns: ``time`` (timestamp, UTC), ``investigation_id``, ``version``, ``route``, ``record`` (index
within the request's feature group), ``sampled``, ``degraded``, ``low_confidence``, ``fallback_for``,
``label``, ``confidence``, ``probabilities`` (list, in the order of ``labels``), ``labels``, and
``input``: a struct of the model's fields as the request sent them (sensitive ones hashed to strings
or absent), except tensors: each row's float32 tensor as the model ran on it, in one fixed-size binary
value (little-endian, C order; the shape in the field's metadata, ``SHAPE``), written from the call's
encoded feeds. Files written before that hold tensors as nested lists of float64; the reader reads both.
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from fortress.catalog.encode import encode_records
from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.monitoring.inference_log.record import LoggedRow

INPUT = "input"
SHAPE = b"fortress.shape"
"""Field metadata of a tensor column: its shape (``3,32,32``), the row's values being that many
float32 (``DTYPE``), little-endian, C order, in one fixed-size binary value."""
DTYPE = b"fortress.dtype"


def day(unix_s: float) -> str:
    return dt.datetime.fromtimestamp(unix_s, dt.UTC).date().isoformat()


def partition(date: str, model: str) -> str:
    return f"date={date}/model={model}"


def _field(spec: ModelSpec, name: str, hashed: bool) -> pa.Field:
    kind = spec.kind_of(name)
    if hashed or kind in (FieldKind.CATEGORY, FieldKind.TEXT):
        return pa.field(name, pa.string())
    if kind is FieldKind.NUMBER:
        return pa.field(name, pa.float64())
    shape = next(f.shape for f in spec.fields if f.name == name)
    return pa.field(
        name,
        pa.binary(4 * math.prod(shape)),
        metadata={SHAPE: ",".join(map(str, shape)).encode(), DTYPE: b"<f4"},
    )


def input_type(row: LoggedRow) -> pa.StructType:
    sensitive = row.redaction.sensitive(row.spec)
    hashed = row.redaction.mode == "hash"
    return pa.struct(
        [
            _field(row.spec, name, name in sensitive)
            for name in row.spec.field_names
            if name not in sensitive or hashed
        ]
    )


def group(rows: Sequence[LoggedRow]) -> dict[tuple[str, str], list[LoggedRow]]:
    """Rows by (partition, fields): a file holds one model's rows of one day and one field list."""
    out: dict[tuple[str, str], list[LoggedRow]] = defaultdict(list)
    dates: dict[int, str] = {}  # UTC day number -> ISO date: one datetime per day, not per row
    fields: dict[int, str] = {}  # id(spec) -> its field list (the rows keep each spec alive)
    for row in rows:
        number = int(row.time // 86400)
        date = dates.get(number)
        if date is None:
            date = dates[number] = day(row.time)
        spec = row.spec
        names = fields.get(id(spec))
        if names is None:
            names = fields[id(spec)] = ",".join(spec.field_names)
        out[(partition(date, row.model), names)].append(row)
    return out


def _tensors(rows: Sequence[LoggedRow], name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A tensor field of every row as one float32 block ``(rows, *shape)``: row ``index`` of the
    call's encoded feeds (no per-element Python), or the record's value encoded again when a row came
    without them."""
    spec = rows[0].spec
    feed = next(t.name for t in spec.inputs if t.fields == (name,))
    parts = []
    for row in rows:
        feeds = row.feeds
        tensor = feeds.get(feed) if feeds is not None else None
        if tensor is None:
            tensor = encode_records(row.spec, [row.record])[feed]
            parts.append(tensor[0])
        else:
            parts.append(tensor[row.index])
    block = np.stack(parts).astype("<f4", copy=False)
    if block.shape[1:] != shape:
        raise ValueError(f"{spec.name}.{name}: tensors of shape {block.shape[1:]}, expected {shape}")
    return np.ascontiguousarray(block)


def _inputs(rows: Sequence[LoggedRow]) -> pa.StructArray:
    """The ``input`` column, built field by field (sensitive fields hashed, or absent); one pyarrow
    call per field, from the records' values transposed in C (``zip``)."""
    first = rows[0]
    redaction, spec = first.redaction, first.spec
    sensitive = redaction.sensitive(spec)
    kind = input_type(first)
    scalar = [f.name for f in kind if not pa.types.is_fixed_size_binary(f.type) or f.name in sensitive]
    columns: dict[str, Sequence[Any]] = {}
    if len(scalar) == 1:
        only = scalar[0]
        columns = {only: [row.record.get(only) for row in rows]}
    elif scalar:
        try:
            get = operator.itemgetter(*scalar)
            columns = dict(zip(scalar, zip(*[get(row.record) for row in rows], strict=True), strict=True))
        except KeyError:  # a record without some field (not through the gateway's encoder): None
            columns = {name: [row.record.get(name) for row in rows] for name in scalar}
    arrays = []
    for field in kind:
        name = field.name
        if name in sensitive:
            arrays.append(pa.array([redaction.digest(v) for v in columns[name]], type=field.type))
        elif name in columns:
            arrays.append(pa.array(columns[name], type=field.type))
        else:
            shape = next(f.shape for f in spec.fields if f.name == name)
            block = _tensors(rows, name, shape)
            arrays.append(
                pa.FixedSizeBinaryArray.from_buffers(field.type, len(rows), [None, pa.py_buffer(block)])
            )
    return pa.StructArray.from_arrays(arrays, fields=list(kind))


def to_table(rows: Sequence[LoggedRow]) -> pa.Table:
    """Rows of one model (and one field list) as a table."""
    first = rows[0]
    labels = first.spec.labels
    probabilities = np.stack([row.probabilities for row in rows]).astype(np.float64)
    n, width = probabilities.shape
    best = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    names = list(labels) + [str(i) for i in range(len(labels), width)]
    offsets = pa.array(np.arange(0, n * width + 1, width, dtype=np.int32))
    columns: dict[str, pa.Array] = {
        "time": pa.array([int(row.time * 1000) for row in rows], type=pa.timestamp("ms", tz="UTC")),
        "investigation_id": pa.array([row.investigation_id for row in rows], type=pa.string()),
        "version": pa.array([row.version for row in rows], type=pa.int64()),
        "route": pa.array([row.route for row in rows], type=pa.string()),
        "record": pa.array([row.index for row in rows], type=pa.int32()),
        "sampled": pa.array([row.sampled for row in rows], type=pa.bool_()),
        "degraded": pa.array([row.degraded for row in rows], type=pa.bool_()),
        "low_confidence": pa.array(confidence < first.redaction.low_confidence, type=pa.bool_()),
        "fallback_for": pa.array([row.fallback_for for row in rows], type=pa.string()),
        "label": pa.array([names[i] for i in best.tolist()], type=pa.string()),
        "confidence": pa.array(confidence, type=pa.float64()),
        "probabilities": pa.ListArray.from_arrays(offsets, pa.array(probabilities.ravel())),
        "labels": pa.ListArray.from_arrays(
            pa.array(np.arange(0, n * len(labels) + 1, len(labels), dtype=np.int32)),
            pa.array(list(labels), type=pa.string()).take(np.tile(np.arange(len(labels)), n)),
        ),
        INPUT: _inputs(rows),
    }
    return pa.table(columns)
