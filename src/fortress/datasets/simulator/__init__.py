"""The seeded investigation simulator: labelled data for all twelve reference models.

``simulate_task`` stands in for a model's training data: the four models without a public dataset
(identity_correlator, behavior_analyzer, login_anomaly, image_analyzer) only ever train on it; the
other eight use it when their real dataset is not installed. ``simulate_records`` draws fresh
"serving traffic" of the same distributions, optionally drifted, for monitoring. The same seed always
gives the same data. The noise model of every task is described in docs/SIMULATOR.md.
"""

from __future__ import annotations

import zlib
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd

from fortress.catalog import FieldKind, get_spec
from fortress.datasets.simulator import (
    accounts,
    activity,
    authors,
    connections,
    images,
    logins,
    messages,
    network,
    pe,
    web,
)
from fortress.datasets.simulator.base import IntArray, Sample, TaskGenerator
from fortress.datasets.simulator.drift import Drift, check_drift, draw_with_prior, move_features
from fortress.datasets.task import DataSource, SourceKind, TaskData
from fortress.errors import InvalidInput

__all__ = [
    "DEFAULT_ROWS",
    "Drift",
    "Records",
    "simulate_records",
    "simulate_task",
    "simulated_task_names",
    "task_labels",
]

_GENERATORS: MappingProxyType[str, TaskGenerator] = MappingProxyType(
    {
        "threat_classifier": connections.kdd_connections,
        "bot_detector": accounts.bot_accounts,
        "identity_correlator": accounts.identity_pairs,
        "behavior_analyzer": activity.user_activity,
        "writing_style": authors.authored_messages,
        "image_analyzer": images.brand_images,
        "network_analyzer": network.host_flows,
        "phishing_url": web.phishing_urls,
        "dga_detector": web.dga_domains,
        "malware_classifier": pe.pe_headers,
        "login_anomaly": logins.login_events,
        "message_scam": messages.scam_messages,
    }
)

DEFAULT_ROWS: MappingProxyType[str, tuple[int, int]] = MappingProxyType(
    {name: (3000, 800) if name == "image_analyzer" else (4000, 2000) for name in _GENERATORS}
)
"""(train, test) rows per task when ``n_train`` / ``n_test`` are not given: sized for speed."""

_TRAIN, _TEST, _SERVE = 0, 1, 2


class Records(NamedTuple):
    """Simulated serving traffic: features in spec order and int64 label indices."""

    X: pd.DataFrame
    y: IntArray


def simulated_task_names() -> tuple[str, ...]:
    """Every task the simulator covers, in catalog order: all twelve reference models."""
    return tuple(_GENERATORS)


def task_labels(model_name: str) -> tuple[str, ...]:
    """The labels the simulator's int labels index (the spec's, or the synthetic authors)."""
    spec = get_spec(model_name)
    return authors.AUTHORS if spec.name == "writing_style" else spec.labels


def simulate_task(
    model_name: str,
    seed: int,
    n_train: int | None = None,
    n_test: int | None = None,
    drift: Drift | None = None,
) -> TaskData:
    """Train and test splits for ``model_name``; ``drift`` (if any) applies to the test split only."""
    generate, labels = _task(model_name, drift)
    default_train, default_test = DEFAULT_ROWS[model_name]
    n_train = _rows(default_train if n_train is None else n_train, "n_train")
    n_test = _rows(default_test if n_test is None else n_test, "n_test")
    train = generate(n_train, _rng(model_name, seed, _TRAIN))
    test = _draw(generate, n_test, _rng(model_name, seed, _TEST), labels, drift, train.X)
    return TaskData(
        model=model_name,
        labels=labels,
        X_train=train.X,
        y_train=train.y,
        X_test=test.X,
        y_test=test.y,
        source=DataSource(
            kind=SourceKind.SIMULATED,
            name=f"simulator:{model_name}",
            seed=seed,
            detail=drift.describe() if drift else "",
        ),
        groups_train=train.groups,
        groups_test=test.groups,
        notes={"simulator.rows": f"{n_train}/{n_test}"},
    )


def simulate_records(model_name: str, n: int, seed: int, drift: Drift | None = None) -> Records:
    """``n`` fresh rows of ``model_name``'s distribution, as if arriving at serving time.

    The stream is independent of ``simulate_task``'s splits for the same seed. Drift shifts are in
    units of the training split that ``simulate_task(model_name, seed)`` returns by default.
    """
    generate, labels = _task(model_name, drift)
    n = _rows(n, "n")
    reference = None
    if drift is not None and drift.moves_features:
        reference = generate(DEFAULT_ROWS[model_name][0], _rng(model_name, seed, _TRAIN)).X
    sample = _draw(generate, n, _rng(model_name, seed, _SERVE), labels, drift, reference)
    return Records(sample.X, sample.y)


def _task(model_name: str, drift: Drift | None) -> tuple[TaskGenerator, tuple[str, ...]]:
    spec = get_spec(model_name)  # raises UnknownModel
    labels = task_labels(model_name)
    if drift is not None:
        check_drift(drift, spec.fields_of(FieldKind.NUMBER), labels, model_name)
    return _GENERATORS[spec.name], labels


def _draw(
    generate: TaskGenerator,
    n: int,
    rng: np.random.Generator,
    labels: tuple[str, ...],
    drift: Drift | None,
    reference: pd.DataFrame | None,
) -> Sample:
    if drift is None:
        return generate(n, rng)
    if drift.label_prior:
        sample = draw_with_prior(lambda k: generate(k, rng), n, labels, drift.label_prior, rng)
    else:
        sample = generate(n, rng)
    if drift.moves_features and reference is not None:
        sample = Sample(move_features(sample.X, reference, drift), sample.y, sample.groups)
    return sample


def _rng(model_name: str, seed: int, stream: int) -> np.random.Generator:
    """One independent stream per (task, seed, split): the splits do not depend on each other's size."""
    if seed < 0:
        raise InvalidInput(f"simulator seed must be >= 0, got {seed}")
    return np.random.default_rng([seed, zlib.crc32(model_name.encode()), stream])


def _rows(n: int, what: str) -> int:
    if n < 1:
        raise InvalidInput(f"{what} must be at least 1, got {n}")
    return n
