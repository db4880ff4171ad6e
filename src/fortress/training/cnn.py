"""A small convolutional network over an image tensor, trained with torch, exported to ONNX."""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from fortress.catalog.spec import PROBABILITIES_OUTPUT, TENSOR_INPUT, ModelSpec
from fortress.training.model import TrainResult

CNN_OPSET = 18


def _network(n_channels: int, n_labels: int, side: int) -> Any:
    import torch
    from torch import nn

    class SmallCnn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(n_channels, 16, 3, padding=1),
                nn.BatchNorm2d(16),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(16, 32, 3, padding=1),
                nn.BatchNorm2d(32),
                nn.ReLU(),
                nn.MaxPool2d(2),
                nn.Conv2d(32, 48, 3, padding=1),
                nn.ReLU(),
                nn.AdaptiveAvgPool2d(4),
                nn.Flatten(),
                nn.Linear(48 * 16, 64),
                nn.ReLU(),
                nn.Dropout(0.2),
                nn.Linear(64, n_labels),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.softmax(self.body(x), dim=1)

    del side
    return SmallCnn()


@dataclass
class CnnModel:
    spec: ModelSpec
    network: Any

    def predict_proba(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        self.network.eval()
        with torch.no_grad():
            out = self.network(torch.from_numpy(np.ascontiguousarray(inputs[TENSOR_INPUT])))
        return np.asarray(out.numpy(), dtype=np.float64)

    def to_onnx(self) -> bytes:
        import torch

        self.network.eval()
        shape = self.spec.inputs[0].shape
        example = torch.zeros((2, *shape), dtype=torch.float32)
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(
                self.network,
                (example,),
                None,
                input_names=[TENSOR_INPUT],
                output_names=[PROBABILITIES_OUTPUT],
                dynamic_shapes=({0: torch.export.Dim("batch")},),
                dynamo=True,
                external_data=False,
                opset_version=CNN_OPSET,
                verbose=False,
            )
        if program is None:
            raise RuntimeError("torch.onnx.export returned no program")
        buffer = io.BytesIO()
        buffer.write(program.model_proto.SerializeToString())
        return buffer.getvalue()


def train_cnn(
    spec: ModelSpec, inputs: dict[str, np.ndarray], y: np.ndarray, seed: int, threads: int
) -> TrainResult:
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    x = torch.from_numpy(np.ascontiguousarray(inputs[TENSOR_INPUT]))
    target = torch.from_numpy(y.astype(np.int64))
    n_labels = int(y.max()) + 1
    net = _network(x.shape[1], n_labels, x.shape[-1])
    params: dict[str, Any] = {"family": "cnn", "epochs": 12, "batch_size": 64, "lr": 2e-3}
    optimiser = torch.optim.Adam(net.parameters(), lr=params["lr"])
    generator = torch.Generator().manual_seed(seed)
    loss_fn = torch.nn.NLLLoss()
    for _ in range(params["epochs"]):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), params["batch_size"]):
            idx = order[start : start + params["batch_size"]]
            optimiser.zero_grad()
            loss = loss_fn(torch.log(net(x[idx]) + 1e-8), target[idx])
            loss.backward()
            optimiser.step()
    net.eval()
    return TrainResult(CnnModel(spec, net), params)
