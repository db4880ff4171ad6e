"""Moz top 500 domains (https://moz.com/top500, MIT licence via Kikobeats/top-sites)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "top-sites"
FILE = "top-sites.json"


def load_top_sites(datasets_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """Columns ``rank`` and ``domain`` (``rootDomain`` lower-cased, leading ``www.`` removed)."""
    path = require_file(datasets_dir, DATASET, FILE, verify=verify)
    try:
        with open(path, encoding="utf-8") as f:
            items = json.load(f)
        rows = [(int(item["rank"]), str(item["rootDomain"]).strip().lower()) for item in items]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path}: unparsable: {exc}") from exc
    expected = dataset_manifest(DATASET).entry(FILE).rows
    if verify and len(rows) != expected:
        raise DatasetError(f"{path}: {len(rows)} sites, expected {expected}")
    frame = pd.DataFrame(rows, columns=["rank", "domain"])
    frame["domain"] = frame["domain"].str.removeprefix("www.")
    return frame
