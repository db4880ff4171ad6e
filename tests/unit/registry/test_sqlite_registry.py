from __future__ import annotations

from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.settings import Settings
from support.registry_checks import local_store_gone, round_trip


def test_round_trip_on_embedded_sqlite_registry(settings: Settings) -> None:
    round_trip(MlflowRegistry(settings.registry, settings.home), lambda: local_store_gone(settings.home))


def test_a_model_with_large_weights_comes_back_as_one_identical_file(settings: Settings) -> None:
    """MLflow would move initializers over 1 KB into side files by default: the fetched model.onnx
    must still be the registered bytes, loadable on its own (the CNN's case)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from fortress.catalog import get_spec
    from fortress.registry.base import Candidate, sha256_hex
    from fortress.training.parity import onnx_probabilities

    spec = get_spec("image_analyzer")
    weights = np.random.default_rng(0).normal(size=(3 * 32 * 32, len(spec.labels))).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("Flatten", ["image"], ["flat"]),
            helper.make_node("MatMul", ["flat", "w"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        ],
        "wide",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(spec.labels)])],
        [numpy_helper.from_array(weights, "w")],
    )
    onnx_bytes = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)]).SerializeToString()
    example = {"image": np.zeros((1, 3, 32, 32), np.float32)}
    candidate = Candidate(
        spec=spec, onnx=onnx_bytes, metrics={"accuracy": 0.5}, params={}, tags={}, baseline={},
        input_example=example, output_example=onnx_probabilities(onnx_bytes, example),
        headline_metric="accuracy",
    )  # fmt: skip
    registry = MlflowRegistry(settings.registry, settings.home)
    info = registry.register(candidate)
    fetched = registry.fetch("image_analyzer", info.version)
    assert sha256_hex(fetched.onnx_bytes()) == sha256_hex(onnx_bytes)
    onnx.checker.check_model(onnx.load_from_string(fetched.onnx_bytes()))
