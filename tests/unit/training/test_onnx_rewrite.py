"""The text models' graph rewrites keep scikit-learn's probabilities.

- The TF-IDF fusion (``onnx_tfidf``): no idf ``Mul``, no L2 normalisation over the row, the scores from
  ``Gemm`` (binary) or ``MatMul`` (more classes than ``GEMV_SCORES``); checked on texts with no known
  n-gram too (a zero TF-IDF row keeps zero scores), one row at a time and as a batch.
- The smaller L2 rewrite (``onnx_rewrite``), used when the fusion does not match: no ``Normalizer``
  left, same probabilities.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
import pandas as pd
import pytest

from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame
from fortress.training.onnx_tfidf import GEMV_SCORES, fuse_tfidf_linear
from fortress.training.parity import onnx_probabilities
from fortress.training.text import TextModel
from fortress.training.trainers import train

PROBES = ["example3.com", "qxzjkvbwqx.biz", "\u00e9\u00e9\u00e9", "", "example99.org"]


def _trained(classes: int) -> TextModel:
    spec = get_spec("dga_detector")
    rng = np.random.default_rng(0)
    alphabets = ["example", "qxzjkvbw", "aeiou", "mnpqrst", "lkjhg", "0123456789"][:classes]
    texts, labels = [], []
    for label, letters in enumerate(alphabets):
        texts += ["".join(rng.choice(list(letters), size=10)) + ".com" for _ in range(80)]
        labels += [label] * 80
    inputs = encode_frame(spec, pd.DataFrame({"domain": texts}))
    model = train(spec, inputs, np.array(labels), seed=0, threads=1).model
    assert isinstance(model, TextModel)
    return model


def _ops(model: Any) -> list[tuple[str, str]]:
    return [(n.domain, n.op_type) for n in model.graph.node]


def _agrees(model: TextModel, exported: Any) -> None:
    probe = encode_frame(model.spec, pd.DataFrame({"domain": PROBES}))
    expected = model.predict_proba(probe)
    blob = exported.SerializeToString()
    np.testing.assert_allclose(onnx_probabilities(blob, probe), expected, atol=1e-5)
    for i in range(len(PROBES)):  # one row per call, as the gateway sends them
        row = {name: value[i : i + 1] for name, value in probe.items()}
        np.testing.assert_allclose(onnx_probabilities(blob, row), expected[i : i + 1], atol=1e-5)


@pytest.mark.parametrize("classes", [2, GEMV_SCORES + 2])
def test_fused_text_graph_keeps_scikit_learns_probabilities(classes: int) -> None:
    model = _trained(classes)
    exported = model.export()
    ops = _ops(exported)
    assert ("ai.onnx.ml", "Normalizer") not in ops[:-1]  # only a multiclass L1 on probabilities
    assert ("", "ReduceL2") not in ops
    assert ops.count(("", "Mul")) == 1  # the squares: no idf Mul left
    tfidf = next(n for n in exported.graph.node if n.op_type == "TfIdfVectorizer")
    assert onnx.helper.get_attribute_value(next(a for a in tfidf.attribute if a.name == "mode")) == b"TFIDF"
    scorer = ("", "Gemm") if classes <= GEMV_SCORES else ("", "MatMul")
    assert scorer in ops
    _agrees(model, exported)


def test_fusion_leaves_other_graphs_alone_and_the_l2_rewrite_still_applies() -> None:
    model = _trained(2)
    plain = model.export(fuse=False)
    before = plain.SerializeToString()
    assert not fuse_tfidf_linear(plain)  # its L2 Normalizer was rewritten already: no chain to fuse
    assert plain.SerializeToString() == before
    ops = _ops(plain)
    assert ("ai.onnx.ml", "Normalizer") not in ops
    assert ("", "ReduceL2") in ops
    _agrees(model, plain)
