"""Reading the Parquet inference log back: one model's rows in a time window, as a frame.

Meta columns keep their names (``time``, ``version``, ``sampled``, ...); the model's fields come as
``input.<field>`` (tensors as numpy arrays, the shape the request sent).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fortress.errors import InvalidInput
from fortress.monitoring.inference_log.parquet import DTYPE, INPUT, SHAPE, partition

PREFIX = INPUT + "."


def files(root: Path, model: str, since: float, until: float) -> list[Path]:
    """The model's Parquet files of every date the window touches."""
    first = dt.datetime.fromtimestamp(since, dt.UTC).date()
    last = dt.datetime.fromtimestamp(until, dt.UTC).date()
    found: list[Path] = []
    day = first
    while day <= last:
        folder = root / partition(day.isoformat(), model)
        found += sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
        day += dt.timedelta(days=1)
    return found


def read_window(root: Path, model: str, since: float, until: float) -> pd.DataFrame:
    """Rows of ``model`` with ``since <= time < until`` (Unix seconds); an empty frame when none."""
    start = pa.scalar(int(since * 1000), pa.timestamp("ms", tz="UTC"))
    stop = pa.scalar(int(until * 1000), pa.timestamp("ms", tz="UTC"))
    frames = []
    for path in files(root, model, since, until):
        try:
            table = pq.read_table(path)
        except Exception as exc:  # a file cut short, or not ours: say which
            raise InvalidInput(f"{path}: cannot read it as Parquet: {type(exc).__name__}: {exc}") from None
        time = table.column("time")
        table = table.filter(pc.and_(pc.greater_equal(time, start), pc.less(time, stop)))
        if table.num_rows:
            frames.append(_frame(table))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _frame(table: pa.Table) -> pd.DataFrame:
    inputs = table.column(INPUT).combine_chunks()
    meta = table.drop_columns([INPUT]).to_pandas()
    assert isinstance(inputs, pa.StructArray)
    for i in range(inputs.type.num_fields):
        child = inputs.type.field(i)
        values = inputs.field(i)
        if pa.types.is_fixed_size_binary(child.type):  # a tensor: float32 bytes back to arrays
            meta[PREFIX + child.name] = _tensors(values, child)
        elif pa.types.is_list(child.type):  # a tensor of an older file: nested lists back to arrays
            meta[PREFIX + child.name] = [np.asarray(v, dtype=np.float32) for v in values.to_pylist()]
        else:
            meta[PREFIX + child.name] = values.to_pandas()
    return meta


def _tensors(values: pa.Array, field: pa.Field) -> list[np.ndarray]:
    """A fixed-size binary tensor column as one array per row, shaped by the field's metadata."""
    meta = field.metadata or {}
    width = field.type.byte_width
    dtype = np.dtype(meta.get(DTYPE, b"<f4").decode())
    shape = (
        tuple(int(d) for d in meta[SHAPE].decode().split(","))
        if SHAPE in meta
        else (width // dtype.itemsize,)
    )
    data = values.buffers()[1]
    assert data is not None
    block = np.frombuffer(data, dtype=dtype, count=len(values) * width // dtype.itemsize,
                          offset=values.offset * width)  # fmt: skip
    return list(block.reshape(len(values), *shape).astype(np.float32))
