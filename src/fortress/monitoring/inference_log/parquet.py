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
from typing import Any

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


def to_table(rows: Sequence[LoggedRow]) -> pa.Table:
    """Rows of one model (and one field list) as a table."""
    columns: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        columns["time"].append(int(row.time * 1000))
        columns["investigation_id"].append(row.investigation_id)
        columns["version"].append(row.version)
        columns["route"].append(row.route)
        columns["record"].append(row.index)
        columns["sampled"].append(row.sampled)
        columns["degraded"].append(row.degraded)
        columns["low_confidence"].append(row.low_confidence)
        columns["fallback_for"].append(row.fallback_for)
        columns["label"].append(row.label)
        columns["confidence"].append(row.confidence)
        columns["probabilities"].append([float(p) for p in row.probabilities])
        columns["labels"].append(list(row.spec.labels))
        columns[INPUT].append(row.inputs())
    types = {
        "time": pa.timestamp("ms", tz="UTC"),
        "investigation_id": pa.string(),
        "version": pa.int64(),
        "route": pa.string(),
        "record": pa.int32(),
        "sampled": pa.bool_(),
        "degraded": pa.bool_(),
        "low_confidence": pa.bool_(),
        "fallback_for": pa.string(),
        "label": pa.string(),
        "confidence": pa.float64(),
        "probabilities": pa.list_(pa.float64()),
        "labels": pa.list_(pa.string()),
        INPUT: input_type(rows[0]),
    }
    return pa.table({name: pa.array(columns[name], type=kind) for name, kind in types.items()})
