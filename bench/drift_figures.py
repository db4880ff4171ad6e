"""`python -m bench.drift_figures [--datasets DIR] [--write docs/MONITORING.md]`: drift figures on the
real datasets, with the same references, bins and statistics as the gateway.

- False alarms: a model's training split cut into two random halves, one the reference and the other
  the "current" data, 100 times: how many features cross the alert threshold (PSI / JS 0.3) and warn.
- Detection, NSL-KDD: KDDTrain+_20Percent as the reference, KDDTest+ (known to be shifted) as current.
- Detection, CIC-IDS2017 (sampled): Monday's benign flows (Monday had no attacks) as the reference,
  each later day's flows (benign and attack) as current; other days' benign flows alone as a control.
- Rows needed: samples of n rows drawn 20 times; the smallest n at which a feature alerts in at least
  95 % of the draws, against the same from data of the reference's own distribution.

``--write`` replaces the block between the figure markers of the file. Bounded: about a minute.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame
from fortress.catalog.spec import ModelSpec
from fortress.monitoring.drift.counter import BinCounter
from fortress.monitoring.drift.reference import DriftReference, build_reference
from fortress.monitoring.drift.stats import score

ALERT, WARN = 0.3, 0.1
SPLITS = 100
DRAWS = 20
SIZES = (100, 200, 500, 1000, 2000, 5000)
FALSE_ALARM_MODELS = (
    "threat_classifier",
    "network_analyzer",
    "malware_classifier",
    "bot_detector",
    "phishing_url",
)
START, END = "<!-- drift-figures:start -->", "<!-- drift-figures:end -->"

Inputs = dict[str, np.ndarray]


def _take(inputs: Mapping[str, np.ndarray], rows: np.ndarray) -> Inputs:
    return {k: v[rows] for k, v in inputs.items()}


def scores(spec: ModelSpec, reference: DriftReference, inputs: Mapping[str, np.ndarray]) -> dict[str, float]:
    counter = BinCounter(spec, reference, flush_rows=1)
    counter.add(inputs, None)
    counts = counter.snapshot()
    return {
        s.bins.name: score(s.bins.statistic, s.bins.share, counts[s.start : s.stop]) for s in counter.features
    }


def false_alarms(datasets: Path, model: str) -> str:
    from fortress.datasets.tasks import build_task

    spec = get_spec(model)
    inputs = encode_frame(spec, build_task(model, datasets, 0).X_train)
    n = len(next(iter(inputs.values())))
    rng = np.random.default_rng(0)
    alerts, warns, worst = [], [], 0.0
    for _ in range(SPLITS):
        order = rng.permutation(n)
        a, b = order[: n // 2], order[n // 2 :]
        got = scores(spec, build_reference(spec, _take(inputs, a)), _take(inputs, b))
        alerts.append(sum(v >= ALERT for v in got.values()))
        warns.append(sum(v >= WARN for v in got.values()))
        worst = max(worst, *got.values())
    features = len(got)
    return (
        f"| {model} | {n // 2:,} | {features} | {sum(alerts)} | {sum(a > 0 for a in alerts)} | "
        f"{sum(warns)} | {worst:.3f} |"
    )


def rows_needed(
    spec: ModelSpec, reference: DriftReference, current: Inputs, control: Inputs, seed: int = 0
) -> tuple[dict[str, int | None], dict[int, tuple[float, float]]]:
    """Per feature, the smallest sample size alerting in >= 95 % of draws; per size, the mean number of
    features alerting on ``current`` and on ``control`` samples."""
    rng = np.random.default_rng(seed)
    needed: dict[str, int | None] = {}
    per_size: dict[int, tuple[float, float]] = {}
    for size in SIZES:
        hits: dict[str, int] = {}
        counts = [0, 0]
        for _ in range(DRAWS):
            for i, data in enumerate((current, control)):
                n = len(next(iter(data.values())))
                got = scores(spec, reference, _take(data, rng.choice(n, size=min(size, n), replace=False)))
                counts[i] += sum(v >= ALERT for v in got.values())
                if i == 0:
                    for name, v in got.items():
                        hits[name] = hits.get(name, 0) + (v >= ALERT)
        per_size[size] = (counts[0] / DRAWS, counts[1] / DRAWS)
        for name, h in hits.items():
            if name not in needed and h >= 0.95 * DRAWS:
                needed[name] = size
    return needed, per_size


def _size_table(per_size: Mapping[int, tuple[float, float]], what: str, control: str) -> list[str]:
    lines = [f"| rows | features alerting: {what} | features alerting: {control} |", "|---:|---:|---:|"]
    lines += [f"| {s:,} | {c:.1f} | {k:.1f} |" for s, (c, k) in per_size.items()]
    return lines


def nsl_kdd(datasets: Path) -> list[str]:
    from fortress.datasets.tasks import build_task

    spec = get_spec("threat_classifier")
    task = build_task(spec.name, datasets, 0)
    train, test = encode_frame(spec, task.X_train), encode_frame(spec, task.X_test)
    reference = build_reference(spec, train)
    full = scores(spec, reference, test)
    n = len(task.X_train)
    order = np.random.default_rng(1).permutation(n)
    half = build_reference(spec, _take(train, order[: n // 2]))
    needed, per_size = rows_needed(spec, half, test, _take(train, order[n // 2 :]))
    kinds = {s.bins.name: s.bins.statistic for s in BinCounter(spec, reference).features}
    drifted = [f for f, v in full.items() if v >= ALERT]
    lines = [
        f"Reference: KDDTrain+_20Percent ({len(task.X_train):,} rows); "
        f"current: KDDTest+ ({len(task.X_test):,} "
        f"rows). **{len(drifted)} of {len(full)} features cross the alert threshold**, "
        f"{sum(v >= WARN for v in full.values())} the warn threshold.",
        "",
        "| feature | statistic | score | level | rows to alert (95 % of draws) |",
        "|---|---|---:|---|---:|",
    ]
    for f, v in sorted(full.items(), key=lambda kv: -kv[1]):
        level = "alert" if v >= ALERT else "warn" if v >= WARN else "ok"
        lines.append(f"| {f} | {kinds[f]} | {v:.3f} | {level} | {needed.get(f, '-') if v >= ALERT else ''} |")
    lines += [
        "",
        "Rows needed (reference: a random half of KDDTrain+_20Percent; control: the other half; "
        "'-': not in 95 % of draws of up to 5,000 rows):",
        "",
    ]
    lines += _size_table(per_size, "KDDTest+ sample", "same-distribution sample")
    return lines


def cicids(datasets: Path) -> list[str]:
    from fortress.datasets.real import cicids as source

    spec = get_spec("network_analyzer")
    frame = source.load_cicids(datasets)
    flows = frame[list(source.FLOW_COLUMNS.values())].replace([np.inf, -np.inf], np.nan).fillna(0.0)
    x = flows.set_axis(list(source.FLOW_COLUMNS), axis=1)
    x["protocol"] = frame[source.PROTOCOL_COLUMN].astype(str).to_numpy(dtype=object)
    day = pd.to_datetime(frame["Timestamp"].str[:10]).dt.day_name().to_numpy()
    benign = (frame[source.LABEL] == source.BENIGN).to_numpy()
    inputs = encode_frame(spec, x[list(spec.field_names)])
    reference = build_reference(spec, _take(inputs, np.flatnonzero(benign & (day == "Monday"))))
    lines = [
        f"Reference: Monday's benign flows ({int((benign & (day == 'Monday')).sum()):,}). "
        "The sampled files keep at most 5,000 flows per class, so attack flows outnumber benign ones "
        "far more than on the real days.",
        "",
        "| current | rows | features alerting | features warning | top features (score) |",
        "|---|---:|---:|---:|---|",
    ]
    for name in ("Tuesday", "Wednesday", "Thursday", "Friday"):
        for label, mask in (
            (f"{name}, all flows", day == name),
            (f"{name}, benign only", benign & (day == name)),
        ):
            got = scores(spec, reference, _take(inputs, np.flatnonzero(mask)))
            top = ", ".join(f"{f} ({v:.2f})" for f, v in sorted(got.items(), key=lambda kv: -kv[1])[:4])
            lines.append(
                f"| {label} | {int(mask.sum()):,} | {sum(v >= ALERT for v in got.values())} | "
                f"{sum(v >= WARN for v in got.values())} | {top} |"
            )
    wednesday = _take(inputs, np.flatnonzero(day == "Wednesday"))
    monday = np.flatnonzero(benign & (day == "Monday"))
    order = np.random.default_rng(2).permutation(monday)
    half = build_reference(spec, _take(inputs, order[: len(order) // 2]))
    _, per_size = rows_needed(spec, half, wednesday, _take(inputs, order[len(order) // 2 :]))
    rest = len(order) - len(order) // 2
    lines += [
        "",
        f"Rows needed (reference: half of Monday's benign flows; control: the other half, {rest:,} flows, so "
        "its larger samples are all of it):",
        "",
    ]
    lines += _size_table(per_size, "Wednesday sample", "Monday benign sample")
    return lines


def figures(datasets: Path) -> str:
    started = time.perf_counter()
    lines = [
        START,
        "_Produced by `python -m bench.drift_figures --write docs/MONITORING.md` "
        f"(alert {ALERT}, warn {WARN}; "
        "reference bins as the gateway's: 10 quantile bins per number, top 20 + other per category)._",
        "",
        f"#### False alarms: two random halves of one training split, {SPLITS} splits",
        "",
        "| model | rows per half | features | alerts (all splits) | splits with an alert | warns "
        "| largest score |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [false_alarms(datasets, m) for m in FALSE_ALARM_MODELS]
    lines += ["", "#### Detection: NSL-KDD, KDDTrain+_20Percent against KDDTest+", "", *nsl_kdd(datasets)]
    lines += [
        "",
        "#### Detection: CIC-IDS2017, Monday's benign traffic against the attack days",
        "",
        *cicids(datasets),
    ]
    lines += ["", f"_({time.perf_counter() - started:.0f} s on this machine.)_", END]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drift_figures")
    default = os.environ.get("FORTRESS_DATASETS_DIR") or str(
        Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
    )
    parser.add_argument("--datasets", type=Path, default=Path(default))
    parser.add_argument("--write", type=Path, default=None, help="Replace the figures block of this file.")
    args = parser.parse_args(argv)
    if not args.datasets.is_dir():
        print(f"error: no datasets at {args.datasets} (give --datasets DIR)", file=sys.stderr)
        return 2
    text = figures(args.datasets)
    if args.write is None:
        print(text)
        return 0
    doc = args.write.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        print(f"error: {args.write} has no {START} ... {END} block", file=sys.stderr)
        return 2
    args.write.write_text(doc[: doc.index(START)] + text + doc[doc.index(END) + len(END) :], encoding="utf-8")
    print(f"wrote the drift figures into {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
