"""Domains of malware DGA families (reimplemented generators) and OpenDNS benign domain lists.

One domain per line; ``others_dga.txt`` has trailing spaces. Family = file name without ``.txt``
(``others_dga`` becomes ``others``; most of its names carry no TLD).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "dga"
BENIGN = "benign"
_URL_PUNCTUATION = re.compile(r"[,/:]")
BENIGN_FILES: tuple[str, ...] = ("opendns-top-domains.txt", "opendns-random-domains.txt")


def family_of(file: str) -> str:
    stem = file.removesuffix(".txt")
    return BENIGN if file in BENIGN_FILES else stem.removesuffix("_dga")


def load_dga(datasets_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """Columns ``domain`` (lower-cased, stripped), ``family`` ('benign' for OpenDNS) and ``source_file``."""
    frames: list[pd.DataFrame] = []
    for entry in dataset_manifest(DATASET).entries:
        path = require_file(datasets_dir, DATASET, entry.path, verify=verify)
        domains = _domains(path)
        if verify and len(domains) != entry.rows:
            raise DatasetError(f"{path}: {len(domains)} domains, expected {entry.rows}")
        frames.append(
            pd.DataFrame({"domain": domains, "family": family_of(entry.path), "source_file": entry.path})
        )
    return pd.concat(frames, ignore_index=True)


def _domains(path: Path) -> list[str]:
    """One lower-cased domain per non-blank line; whitespace inside a line or URL punctuation is an error."""
    try:
        text = path.read_text(encoding="utf-8").lower()
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable: {exc}") from exc
    domains = text.split()
    lines = [stripped for line in text.splitlines() if (stripped := line.strip())]
    bad: str | None = None
    if len(lines) != len(domains):  # some line holds more than one word
        bad = next(line for line in lines if len(line.split()) > 1)
    elif punctuation := _URL_PUNCTUATION.search(text):
        bad = text[text.rfind("\n", 0, punctuation.start()) + 1 :].split("\n", 1)[0]
    if bad is not None:
        raise DatasetError(f"{path}: not a domain name: {bad!r}")
    return domains
