"""One trainer per model family."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fortress.catalog.spec import Family, ModelSpec
from fortress.training.cnn import train_cnn
from fortress.training.gbdt import train_gbdt
from fortress.training.model import TrainResult
from fortress.training.text import train_text

Trainer = Callable[[ModelSpec, dict[str, np.ndarray], np.ndarray, int, int], TrainResult]

TRAINERS: dict[Family, Trainer] = {
    Family.GBDT: train_gbdt,
    Family.TEXT: train_text,
    Family.CNN: train_cnn,
}


def train(
    spec: ModelSpec, inputs: dict[str, np.ndarray], y: np.ndarray, seed: int, threads: int
) -> TrainResult:
    return TRAINERS[spec.family](spec, inputs, y, seed, threads)
