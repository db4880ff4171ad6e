"""Reading delimited dataset files, turning every parse problem into one ``DatasetError`` line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from fortress.errors import DatasetError


def read_csv(
    path: Path,
    *,
    columns: int,
    header: bool = True,
    rows: int | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Read a CSV file and check its column count (and row count when ``rows`` is given).

    Headerless files get integer column labels; name them after the shape check.
    """
    try:
        frame = pd.read_csv(path, header=0 if header else None, low_memory=False, **options)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetError(f"{path}: unparsable: {_one_line(exc)}") from exc
    if frame.shape[1] != columns:
        raise DatasetError(f"{path}: {frame.shape[1]} columns, expected {columns}")
    if rows is not None and len(frame) != rows:
        raise DatasetError(f"{path}: {len(frame)} rows, expected {rows}")
    return frame


def require_columns(frame: pd.DataFrame, names: Sequence[str], path: Path) -> None:
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DatasetError(f"{path}: missing column(s) {', '.join(map(repr, missing))}")


def numeric(
    frame: pd.DataFrame,
    names: Sequence[str],
    path: Path,
    *,
    header: bool = True,
    allow_missing: bool = False,
) -> pd.DataFrame:
    """The named columns as float64; a non-number (or a missing value) raises naming file and line."""
    first_line = 2 if header else 1
    out: dict[str, pd.Series] = {}
    for name in names:
        raw = frame[name]
        values = raw.astype("float64") if is_numeric_dtype(raw) else pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna() if allow_missing else values.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            what = "missing value" if pd.isna(raw.iloc[i]) else f"not a number: {raw.iloc[i]!r}"
            raise DatasetError(f"{path}: line {i + first_line}: column {name!r}: {what}")
        out[name] = values.astype("float64")
    return pd.DataFrame(out, index=frame.index)


def text(frame: pd.DataFrame, name: str, path: Path, *, header: bool = True) -> pd.Series:
    """A column as stripped str; a missing or empty value raises naming file and line."""
    raw = frame[name]
    values = raw.astype("string").str.strip()
    bad = values.isna() | (values == "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0])
        raise DatasetError(f"{path}: line {i + (2 if header else 1)}: column {name!r}: empty value")
    return values.astype(object)


def read_lines(path: Path, *, encoding: str = "utf-8") -> list[str]:
    """Non-empty, stripped lines of a text file (any line ending)."""
    try:
        with open(path, encoding=encoding, newline=None) as f:
            return [s for line in f if (s := line.strip())]
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: unreadable: {_one_line(exc)}") from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
