"""Rewrites of exported graphs that keep their results and make them faster in ONNX Runtime.

``ai.onnx.ml.Normalizer`` with ``norm="L2"`` (the TF-IDF row normalisation skl2onnx emits) costs ONNX
Runtime ~95 µs per row over a 30,000-term vocabulary — more than the rest of the text model together.
The same computation in standard ops (``ReduceL2``, ``Max``, ``Div``) costs a few µs. A zero row stays
zero, as in scikit-learn (its norm is clamped to a tiny positive number, not to 1, which gives the same
zeros). The training parity check compares the rewritten graph with scikit-learn.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TINY = np.finfo(np.float32).tiny
"""The smallest normal float32: the clamp of an L2 norm (a zero row stays zero, as in scikit-learn)."""


def replace_l2_normalizers(model: Any) -> int:
    """Rewrite every L2 ``Normalizer`` of ``model`` (an ``onnx.ModelProto``) in place; how many."""
    from onnx import helper, numpy_helper

    graph = model.graph
    nodes = list(graph.node)
    rewritten: list[Any] = []
    count = 0
    for node in nodes:
        norm = node_attribute(node, "norm")
        if node.op_type != "Normalizer" or node.domain != "ai.onnx.ml" or norm != b"L2":
            rewritten.append(node)
            continue
        count += 1
        x, y, tag = node.input[0], node.output[0], f"l2norm_{count}"
        axes, tiny = f"{tag}_axes", f"{tag}_tiny"
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.array([1], dtype=np.int64), axes),
                numpy_helper.from_array(np.array(TINY, dtype=np.float32), tiny),
            ]
        )
        rewritten += [
            helper.make_node("ReduceL2", [x, axes], [f"{tag}_norm"], keepdims=1, name=f"{tag}_reduce"),
            helper.make_node("Max", [f"{tag}_norm", tiny], [f"{tag}_safe"], name=f"{tag}_max"),
            helper.make_node("Div", [x, f"{tag}_safe"], [y], name=f"{tag}_div"),
        ]
    if count:
        del graph.node[:]
        graph.node.extend(rewritten)
    return count


def node_attribute(node: Any, name: str) -> Any:
    """The value of ``node``'s attribute ``name`` (an ``onnx.NodeProto``), or ``None``."""
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == name:
            return helper.get_attribute_value(attribute)
    return None
