"""NSL-KDD (Tavallaee et al., 2009; Canadian Institute for Cybersecurity, UNB).

Comma-separated, no header: the 41 features of ``NSL_KDD_FIELDS``, the attack name (column 42) and a
difficulty score (column 43). ``attack_types.csv`` (old Mac ``\\r`` line endings) maps attack names to
dos/probe/r2l/u2r; KDDTest+ holds attacks the training file never shows, mapped here to their published
categories (``NEW_ATTACK_CATEGORIES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fortress.catalog.fields import NSL_KDD_FIELDS, NSL_KDD_SYMBOLIC
from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.real.tables import numeric, read_csv, read_lines, text
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "nsl-kdd"
TRAIN_FILE = "KDDTrain+_20Percent.txt"
TEST_FILE = "KDDTest+.txt"
CATEGORIES: tuple[str, ...] = ("normal", "dos", "probe", "r2l", "u2r")

NEW_ATTACK_CATEGORIES: dict[str, str] = {
    **dict.fromkeys(("apache2", "mailbomb", "processtable", "udpstorm"), "dos"),
    **dict.fromkeys(("mscan", "saint"), "probe"),
    **dict.fromkeys(("httptunnel", "ps", "sqlattack", "xterm"), "u2r"),
    **dict.fromkeys(("snmpgetattack", "snmpguess", "named", "sendmail", "xlock", "xsnoop", "worm"), "r2l"),
}
"""Attacks of KDDTest+ missing from attack_types.csv, by their published category."""


@dataclass(frozen=True, slots=True)
class NslKdd:
    """Each frame: the 41 features, then ``attack``, ``difficulty`` and ``category``."""

    train: pd.DataFrame
    test: pd.DataFrame


def load_nsl_kdd(datasets_dir: Path, *, verify: bool = True) -> NslKdd:
    check_field_names(datasets_dir, verify=verify)
    categories = attack_categories(datasets_dir, verify=verify)
    return NslKdd(
        train=load_connections(datasets_dir, TRAIN_FILE, categories, verify=verify),
        test=load_connections(datasets_dir, TEST_FILE, categories, verify=verify),
    )


def attack_categories(datasets_dir: Path, *, verify: bool = True) -> dict[str, str]:
    """attack name -> category, from attack_types.csv completed with ``NEW_ATTACK_CATEGORIES``."""
    path = require_file(datasets_dir, DATASET, "attack_types.csv", verify=verify)
    mapping = dict(NEW_ATTACK_CATEGORIES)
    for number, line in enumerate(read_lines(path), start=1):
        name, sep, category = (part.strip() for part in line.partition(","))
        if not sep or not name or not category:
            raise DatasetError(f"{path}: line {number}: expected 'attack,category', got {line!r}")
        mapping[name] = category
    return mapping


def check_field_names(datasets_dir: Path, *, verify: bool = True) -> None:
    """field_names.csv must list the 41 features in the order of ``NSL_KDD_FIELDS``."""
    path = require_file(datasets_dir, DATASET, "field_names.csv", verify=verify)
    pairs = [tuple(p.strip() for p in line.split(",")) for line in read_lines(path)]
    names = tuple(p[0] for p in pairs)
    symbolic = {p[0] for p in pairs if len(p) > 1 and p[1] == "symbolic"}
    if names != NSL_KDD_FIELDS or symbolic != NSL_KDD_SYMBOLIC:
        raise DatasetError(f"{path}: field names or kinds differ from the catalog's NSL_KDD_FIELDS")


def load_connections(
    datasets_dir: Path, file: str, categories: dict[str, str], *, verify: bool = True
) -> pd.DataFrame:
    path = require_file(datasets_dir, DATASET, file, verify=verify)
    entry = dataset_manifest(DATASET).entry(file)
    raw = read_csv(path, columns=43, header=False, rows=entry.rows if verify else None)
    raw.columns = pd.Index([*NSL_KDD_FIELDS, "attack", "difficulty"])
    numbers = numeric(raw, [f for f in NSL_KDD_FIELDS if f not in NSL_KDD_SYMBOLIC], path, header=False)
    columns: dict[str, pd.Series] = {
        f: text(raw, f, path, header=False) if f in NSL_KDD_SYMBOLIC else numbers[f] for f in NSL_KDD_FIELDS
    }
    columns["attack"] = text(raw, "attack", path, header=False)
    columns["difficulty"] = numeric(raw, ["difficulty"], path, header=False)["difficulty"]
    columns["category"] = columns["attack"].map(categories)
    frame = pd.DataFrame(columns)
    unknown = frame["category"].isna() | ~frame["category"].isin(CATEGORIES)
    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        raise DatasetError(f"{path}: line {i + 1}: attack {frame['attack'].iloc[i]!r} has no known category")
    return frame
