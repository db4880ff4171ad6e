"""Per-feature baseline statistics of the training data, stored with each version for drift checks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fortress.catalog.spec import FieldKind, ModelSpec

QUANTILES = (0.0, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 1.0)
BINS = 20
TOP_CATEGORIES = 50


def _numeric_stats(values: np.ndarray) -> dict[str, Any]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"count": 0}
    qs = np.quantile(values, QUANTILES)
    lo, hi = float(qs[1]), float(qs[-2])
    if hi <= lo:
        lo, hi = float(qs[0]), float(qs[-1]) + 1e-9
    edges = np.linspace(lo, hi, BINS + 1)
    counts, _ = np.histogram(np.clip(values, lo, hi), bins=edges)
    return {
        "count": int(values.size),
        "mean": float(values.mean()),
        "std": float(values.std()),
        "quantiles": {str(q): float(v) for q, v in zip(QUANTILES, qs, strict=True)},
        "histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
    }


def baseline_stats(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, Any]:
    out: dict[str, Any] = {"rows": len(frame), "fields": {}}
    for f in spec.fields:
        column = frame[f.name]
        if f.kind is FieldKind.NUMBER:
            stats = {"kind": "number", **_numeric_stats(column.to_numpy(dtype=np.float64))}
        elif f.kind is FieldKind.CATEGORY:
            freq = column.astype(str).value_counts(normalize=True).head(TOP_CATEGORIES)
            stats = {"kind": "category", "frequencies": {str(k): float(v) for k, v in freq.items()}}
        elif f.kind is FieldKind.TEXT:
            lengths = column.astype(str).str.len().to_numpy(dtype=np.float64)
            stats = {"kind": "text", "length": _numeric_stats(lengths)}
        else:
            arr = np.stack(list(column)).astype(np.float64)
            per_channel = arr.reshape(len(arr), arr.shape[1], -1).mean(axis=2)
            stats = {
                "kind": "tensor",
                "channel_mean": per_channel.mean(axis=0).tolist(),
                "channel_std": per_channel.std(axis=0).tolist(),
            }
        out["fields"][f.name] = stats
    return out
