"""The offline store's files: one parquet part per ingest and view, with one schema per view.

Every view folder starts with an empty part holding the schema, so Feast can read a view before
anything was ingested. Parts are written to a staging folder and renamed into place.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fortress.features.pipeline import LABEL, view_frame
from fortress.features.repo import FeatureRepo
from fortress.features.views import TIMESTAMP, VIEWS, Dtype, ViewSpec

_ARROW = {
    Dtype.FLOAT32: pa.float32(),
    Dtype.FLOAT64: pa.float64(),
    Dtype.INT64: pa.int64(),
    Dtype.STRING: pa.string(),
}
_TS = pa.timestamp("ns", tz="UTC")
SCHEMA_PART = "part-00000000T000000-schema.parquet"


def arrow_schema(spec: ViewSpec) -> pa.Schema:
    return pa.schema(
        [
            pa.field(spec.entity.join_key, pa.string()),
            pa.field(TIMESTAMP, _TS),
            *(pa.field(name, _ARROW[dtype]) for name, dtype in spec.fields),
        ]
    )


LABEL_SCHEMA = pa.schema(
    [pa.field("user_id", pa.string()), pa.field(TIMESTAMP, _TS), pa.field(LABEL, pa.int64())]
)


def _write(table: pa.Table, directory: Path, name: str, staging: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    staging.mkdir(parents=True, exist_ok=True)
    tmp = staging / f"{uuid.uuid4().hex}.tmp"
    pq.write_table(table, tmp)
    return tmp.replace(directory / name)


def _part_name() -> str:
    return f"part-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.parquet"


def prepare(repo: FeatureRepo) -> None:
    """Folders, ``feature_store.yaml`` and each view's schema part."""
    repo.write_yaml()
    for spec in VIEWS.values():
        folder = repo.offline_dir(spec.name)
        if not (folder / SCHEMA_PART).is_file():
            _write(arrow_schema(spec).empty_table(), folder, SCHEMA_PART, repo.staging_dir)


def write_view(repo: FeatureRepo, spec: ViewSpec, frame: pd.DataFrame) -> Path | None:
    """Append ``frame`` (the view's rows) as a new part; nothing for an empty frame."""
    if frame.empty:
        return None
    table = pa.Table.from_pandas(view_frame(spec, frame), schema=arrow_schema(spec), preserve_index=False)
    return _write(table, repo.offline_dir(spec.name), _part_name(), repo.staging_dir)


def write_labels(repo: FeatureRepo, model: str, frame: pd.DataFrame) -> Path | None:
    if frame.empty:
        return None
    table = pa.Table.from_pandas(frame[LABEL_SCHEMA.names], schema=LABEL_SCHEMA, preserve_index=False)
    return _write(table, repo.labels_dir(model), _part_name(), repo.staging_dir)


def _read(folder: Path, schema: pa.Schema) -> pd.DataFrame:
    parts = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    tables = [pq.read_table(p, schema=schema) for p in parts]
    frame: pd.DataFrame = pa.concat_tables(tables or [schema.empty_table()]).to_pandas()
    return frame


def read_view(repo: FeatureRepo, spec: ViewSpec) -> pd.DataFrame:
    """Every offline row of ``spec`` (all parts, in part order)."""
    return _read(repo.offline_dir(spec.name), arrow_schema(spec))


def read_labels(repo: FeatureRepo, model: str) -> pd.DataFrame:
    """Label rows of ``model``, later parts winning for the same (user, time)."""
    frame = _read(repo.labels_dir(model), LABEL_SCHEMA)
    return frame.drop_duplicates(["user_id", TIMESTAMP], keep="last").reset_index(drop=True)


def _rows(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    return sum(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))


def view_rows(repo: FeatureRepo, spec: ViewSpec) -> int:
    """Offline row count of a view, from the parquet footers (reads no data)."""
    return _rows(repo.offline_dir(spec.name))


def label_rows(repo: FeatureRepo, model: str) -> int:
    """Label rows ingested for ``model`` (duplicates included), from the parquet footers."""
    return _rows(repo.labels_dir(model))
