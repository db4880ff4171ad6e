"""Phishing and benign URLs: PhishTank verified online phish (2008-2020) and ISCX-URL-2016 benign URLs.

``phishtank_online_valid.csv`` has a header (URL in column ``url``); ``benign_iscx_url2016.csv`` is one
URL per line with no header (CRLF line endings). The two lists differ in style (source leakage).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.real.tables import read_csv, read_lines, require_columns, text
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "phishing-urls"
PHISHTANK_FILE = "phishtank_online_valid.csv"
BENIGN_FILE = "benign_iscx_url2016.csv"


def load_phishing_urls(datasets_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """Columns ``url`` (stripped), ``label`` ('phishing' | 'benign') and ``source_file``; not deduplicated."""
    manifest = dataset_manifest(DATASET)
    phish_path = require_file(datasets_dir, DATASET, PHISHTANK_FILE, verify=verify)
    entry = manifest.entry(PHISHTANK_FILE)
    phish = read_csv(phish_path, columns=8, rows=entry.rows if verify else None, dtype=str)
    require_columns(phish, ["url"], phish_path)

    benign_path = require_file(datasets_dir, DATASET, BENIGN_FILE, verify=verify)
    benign = read_lines(benign_path)
    entry = manifest.entry(BENIGN_FILE)
    if verify and len(benign) != entry.rows:
        raise DatasetError(f"{benign_path}: {len(benign)} URLs, expected {entry.rows}")
    phishing_urls = text(phish, "url", phish_path)
    return pd.DataFrame(
        {
            "url": [*phishing_urls, *benign],
            "label": ["phishing"] * len(phishing_urls) + ["benign"] * len(benign),
            "source_file": [PHISHTANK_FILE] * len(phishing_urls) + [BENIGN_FILE] * len(benign),
        }
    )
