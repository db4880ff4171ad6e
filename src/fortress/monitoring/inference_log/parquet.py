"""Logged rows as Arrow tables: one table per (date, model, fields), the layout on disk, and back.

Layout under the log's root (Hive partitioning, as pyarrow and Spark read it)::

    date=2026-12-04/model=threat_classifier/part-<unix ms>-<pid>-<n>.parquet

Columns: ``time`` (timestamp, UTC), ``investigation_id``, ``version``, ``route``, ``record`` (index
within the request's feature group), ``sampled``, ``degraded``, ``low_confidence``, ``fallback_for``,
``label``, ``confidence``, ``probabilities`` (list, in the order of ``labels``), ``labels``, and
``input``: a struct of the model's fields as the request sent them (sensitive ones hashed to strings
or absent).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.monitoring.inference_log.record import LoggedRow

INPUT = "input"


def day(unix_s: float) -> str:
    return dt.datetime.fromtimestamp(unix_s, dt.UTC).date().isoformat()


def partition(date: str, model: str) -> str:
    return f"date={date}/model={model}"


def _field_type(spec: ModelSpec, name: str, hashed: bool) -> pa.DataType:
    kind = spec.kind_of(name)
    if hashed or kind in (FieldKind.CATEGORY, FieldKind.TEXT):
        return pa.string()
    if kind is FieldKind.NUMBER:
        return pa.float64()
    shape = next(f.shape for f in spec.fields if f.name == name)
    nested: pa.DataType = pa.float64()
    for _ in shape:
        nested = pa.list_(nested)
    return nested


def input_type(row: LoggedRow) -> pa.StructType:
    sensitive = row.redaction.sensitive(row.spec)
    hashed = row.redaction.mode == "hash"
    return pa.struct(
        [
            pa.field(name, _field_type(row.spec, name, name in sensitive))
            for name in row.spec.field_names
            if name not in sensitive or hashed
        ]
    )


def group(rows: Sequence[LoggedRow]) -> dict[tuple[str, str], list[LoggedRow]]:
    """Rows by (partition, fields): a file holds one model's rows of one day and one field list."""
    out: dict[tuple[str, str], list[LoggedRow]] = defaultdict(list)
    for row in rows:
        out[(partition(day(row.time), row.model), ",".join(row.spec.field_names))].append(row)
    return out


def _inputs(rows: Sequence[LoggedRow]) -> pa.StructArray:
    """The ``input`` column, built field by field (sensitive fields hashed, or absent)."""
    first = rows[0]
    redaction, spec = first.redaction, first.spec
    sensitive = redaction.sensitive(spec)
    kind = input_type(first)
    arrays = []
    for field in kind:
        name = field.name
        values = [row.record.get(name) for row in rows]
        if name in sensitive:
            values = [redaction.digest(v) for v in values]
        arrays.append(pa.array(values, type=field.type))
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
        "labels": pa.array([list(labels)] * n, type=pa.list_(pa.string())),
        INPUT: _inputs(rows),
    }
    return pa.table(columns)
