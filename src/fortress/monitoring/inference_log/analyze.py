"""``fortress drift analyze``: the inference log's rows of a model in a window, scored against a
version's drift reference with ``drift.compare`` (the same bins, statistics and table).

Only the sampled rows are scored (``sampled``: the ``sample_rate`` draw): degraded and
low-confidence answers are logged every time, so counting them would skew every distribution.
Fields the log hashed or dropped (sensitive) cannot be re-encoded and are left out of the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from fortress.catalog.spec import FieldKind, ModelSpec
from fortress.errors import InvalidInput
from fortress.monitoring.inference_log.reader import PREFIX, read_window
from fortress.monitoring.inference_log.record import Redaction

WINDOW = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PLACEHOLDER = {FieldKind.NUMBER: 0.0, FieldKind.CATEGORY: "", FieldKind.TEXT: ""}


def parse_window(value: str) -> float:
    """``90s``, ``30m``, ``24h``, ``7d`` -> seconds."""
    match = WINDOW.match(value.strip())
    if match is None or float(match.group(1)) <= 0:
        raise InvalidInput(
            f"--window {value!r}: expected a positive number and a unit s, m, h or d (e.g. 24h)"
        )
    return float(match.group(1)) * UNITS[match.group(2)]


@dataclass(frozen=True, slots=True)
class Window:
    rows: pd.DataFrame
    """The sampled rows of the window (every version)."""
    logged: int
    """Every logged row of the window, sampled or not."""


def load(root: Path, model: str, since: float, until: float, window: str) -> Window:
    if not root.is_dir():
        raise InvalidInput(
            f"no inference log at {root} (monitoring.inference_log: is it enabled, with the parquet sink?)"
        )
    frame = read_window(root, model, since, until)
    if frame.empty:
        raise InvalidInput(f"no rows of {model} in the inference log at {root} in the last {window}")
    sampled = frame[frame["sampled"]]
    if sampled.empty:
        raise InvalidInput(
            f"{len(frame)} rows of {model} in the last {window}, none of them sampled "
            "(only degraded or low-confidence answers): nothing unbiased to compare"
        )
    return Window(sampled.reset_index(drop=True), len(frame))


def busiest_version(rows: pd.DataFrame) -> int:
    """The version most rows came from (the newest among equals)."""
    counts = rows["version"].value_counts()
    top = counts.max()
    return int(max(v for v, n in counts.items() if n == top))


@dataclass(frozen=True, slots=True)
class Prepared:
    frame: pd.DataFrame
    """Columns: the spec's fields (placeholders where the log hashed or dropped a field)."""
    skipped: frozenset[str]
    """Fields left out: hashed or dropped in the log."""
    probabilities: np.ndarray | None


def prepare(rows: pd.DataFrame, spec: ModelSpec) -> Prepared:
    """The version's rows re-shaped for ``compare_frame``."""
    out = pd.DataFrame(index=rows.index)
    skipped: set[str] = set()
    sensitive = Redaction("drop").sensitive(spec)  # always hashed or dropped in the log
    for f in spec.fields:
        column = rows.get(PREFIX + f.name)
        if column is None or f.name in sensitive:
            if f.kind is FieldKind.TENSOR:
                raise InvalidInput(f"the inference log has no values of {spec.name}'s tensor field {f.name}")
            skipped.add(f.name)
            out[f.name] = PLACEHOLDER[f.kind]
        else:
            out[f.name] = column
    probabilities = None
    if "probabilities" in rows and len(rows):
        stacked = [np.asarray(p, dtype=np.float64) for p in rows["probabilities"]]
        if all(len(p) == len(spec.labels) for p in stacked):
            probabilities = np.stack(stacked)
    return Prepared(out.reset_index(drop=True), frozenset(skipped), probabilities)
