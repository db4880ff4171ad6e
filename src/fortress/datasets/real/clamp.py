"""ClaMP: PE header fields of Windows executables (Kumar, Kuppusamy and Aghila, 2019).

``ClaMP_Raw-5184.csv``: 55 raw header fields and ``class`` (1 = malware, 0 = benign), with a header.
The reserved fields ``e_res`` and ``e_res2`` are always empty and are not part of ``PE_HEADER_FIELDS``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fortress.catalog.fields import PE_HEADER_FIELDS
from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.real.tables import numeric, read_csv, require_columns
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "clamp"
FILE = "ClaMP_Raw-5184.csv"
CLASS = "class"


def load_clamp(datasets_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """``PE_HEADER_FIELDS`` as float64 and ``class`` as int64 (1 = malware)."""
    path = require_file(datasets_dir, DATASET, FILE, verify=verify)
    entry = dataset_manifest(DATASET).entry(FILE)
    raw = read_csv(path, columns=56, rows=entry.rows if verify else None)
    require_columns(raw, [*PE_HEADER_FIELDS, CLASS], path)
    frame = numeric(raw, [*PE_HEADER_FIELDS, CLASS], path)
    bad = ~frame[CLASS].isin([0.0, 1.0])
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DatasetError(
            f"{path}: line {i + 2}: column {CLASS!r} must be 0 or 1, got {frame[CLASS].iloc[i]!r}"
        )
    return frame.astype({CLASS: "int64"})
