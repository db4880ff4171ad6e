"""What every trainer returns: a fitted model that predicts in Python and exports to ONNX."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from fortress.catalog.spec import PROBABILITIES_OUTPUT

ONNX_OPSET = 15
ONNX_ML_OPSET = 3


class FittedModel(Protocol):
    def predict_proba(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Class probabilities [N, n_labels] for encoded inputs (``catalog.encode``)."""
        ...

    def to_onnx(self) -> bytes:
        """A graph with the spec's inputs and one output ``probabilities`` [N, n_labels]."""
        ...


@dataclass(frozen=True, slots=True)
class TrainResult:
    model: FittedModel
    params: dict[str, Any] = field(default_factory=dict)


def keep_only_probabilities(model: Any) -> None:
    """Drop every graph output but ``probabilities`` (the label output only duplicates it)."""
    outputs = [o for o in model.graph.output if o.name == PROBABILITIES_OUTPUT]
    if len(outputs) != 1:
        raise ValueError("exported graph has no 'probabilities' output")
    del model.graph.output[:]
    model.graph.output.extend(outputs)


def stack_inputs(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts, axis=1).astype(np.float32) if len(parts) > 1 else parts[0]
