"""Twitter bot and human accounts: Stweeler aggregated features (Gilani et al., WWW'16 Companion).

Data property of Twitter, processed for research. Files ``bots/bots.<band>.csv`` and
``humans/humans.<band>.csv``, one per follower band (1k, 100k, 1M, 10M); values follow ', ' separators.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fortress.catalog.fields import ACCOUNT_PROFILE_FIELDS, SOURCE_TYPE_FIELDS
from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.real.tables import numeric, read_csv, require_columns, text
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "twitter-bots"
BANDS: tuple[str, ...] = ("1k", "100k", "1M", "10M")
KINDS: dict[str, str] = {"bots": "bot", "humans": "human"}
"""Folder -> label."""


def band_of(path: str) -> str:
    """'bots/bots.100k.csv' -> '100k'."""
    band = Path(path).name.split(".")[1]
    if band not in BANDS:
        raise DatasetError(f"{DATASET}/{path}: unknown follower band {band!r}")
    return band


SOURCE_TYPES = len(SOURCE_TYPE_FIELDS)
"""Stweeler's ``source_identity`` lists the kinds of client an account tweets from, e.g. ``[0;2]``."""


def source_types(column: pd.Series, path: Path) -> list[list[float]]:
    """One 0/1 column per source kind (0..6) from the ``[a;b;...]`` lists."""
    flags = [[0.0] * len(column) for _ in range(SOURCE_TYPES)]
    for row, raw in enumerate(column.astype(str)):
        inner = raw.strip().strip("[]").strip()
        for item in filter(None, (p.strip() for p in inner.split(";"))):
            if not item.isdigit() or int(item) >= SOURCE_TYPES:
                raise DatasetError(f"{path}: row {row + 2}: bad source_identity {raw!r}")
            flags[int(item)][row] = 1.0
    return flags


def load_twitter_bots(datasets_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """``screen_name``, ``ACCOUNT_PROFILE_FIELDS`` (float64), ``follower_band``, ``label`` (bot|human)."""
    frames: list[pd.DataFrame] = []
    for entry in dataset_manifest(DATASET).entries:
        path = require_file(datasets_dir, DATASET, entry.path, verify=verify)
        raw = read_csv(path, columns=16, rows=entry.rows if verify else None, skipinitialspace=True)
        require_columns(raw, ["screen_name", *ACCOUNT_PROFILE_FIELDS], path)
        frame = numeric(raw, ACCOUNT_PROFILE_FIELDS, path)
        frame.insert(0, "screen_name", text(raw, "screen_name", path))
        for i, flags in enumerate(source_types(raw["source_identity"], path)):
            frame[SOURCE_TYPE_FIELDS[i]] = flags
        frame["follower_band"] = band_of(entry.path)
        frame["label"] = KINDS[entry.path.split("/")[0]]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
