"""Turning loaded real data into ``TaskData``: label encoding, seeded stratified splits, provenance."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from fortress.datasets.checksums import combined_sha256
from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.task import DataSource, SourceKind, TaskData
from fortress.errors import DatasetError

TEST_SIZE = 0.25


def encode(values: pd.Series | Sequence[str], labels: Sequence[str]) -> np.ndarray:
    """Label names -> int64 indices into ``labels``; an unknown name raises."""
    index = {label: i for i, label in enumerate(labels)}
    names = list(values)
    unknown = sorted({str(v) for v in names} - index.keys())
    if unknown:
        raise DatasetError(f"labels {unknown} are not among {list(labels)}")
    return np.fromiter((index[v] for v in names), dtype=np.int64, count=len(names))


def source(dataset: str, files: Sequence[tuple[str, str]], detail: str = "") -> DataSource:
    """Provenance of real data read from ``files``, (dataset, relative path) pairs.

    The checksum is ``combined_sha256`` over the files' recorded manifest checksums (loaders refuse any
    file that does not match its manifest entry).
    """
    pairs = [(f"{ds}/{path}", dataset_manifest(ds).entry(path).sha256) for ds, path in files]
    return DataSource(SourceKind.REAL, dataset, checksum=combined_sha256(pairs), detail=detail)


def all_files(dataset: str) -> list[tuple[str, str]]:
    return [(dataset, e.path) for e in dataset_manifest(dataset).entries]


def unique_by(frame: pd.DataFrame, key: str, label: str) -> tuple[pd.DataFrame, int]:
    """One row per ``key``: repeats with the same label collapse, keys seen with two labels are dropped.

    Returns the kept rows and how many rows were removed.
    """
    once = frame.drop_duplicates([key, label])
    kept = once[~once.duplicated(key, keep=False)].reset_index(drop=True)
    return kept, len(frame) - len(kept)


def split_task(
    model: str,
    labels: tuple[str, ...],
    X: pd.DataFrame,
    y: np.ndarray,
    data_source: DataSource,
    seed: int,
    *,
    strata: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    notes: dict[str, str] | None = None,
) -> TaskData:
    """A seeded split, ``TEST_SIZE`` held out, stratified by ``strata`` (default: the labels)."""
    positions = np.arange(len(X))
    train, test = train_test_split(
        positions, test_size=TEST_SIZE, random_state=seed, stratify=y if strata is None else strata
    )
    return TaskData(
        model=model,
        labels=labels,
        X_train=X.iloc[train].reset_index(drop=True),
        y_train=y[train],
        X_test=X.iloc[test].reset_index(drop=True),
        y_test=y[test],
        source=data_source,
        groups_train=None if groups is None else groups[train],
        groups_test=None if groups is None else groups[test],
        notes={"split": f"stratified {1 - TEST_SIZE:.0%}/{TEST_SIZE:.0%}, seed {seed}", **(notes or {})},
    )
