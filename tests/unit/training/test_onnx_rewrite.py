"""The L2 Normalizer rewrite: the exported text model has none left and still matches scikit-learn,
including on a text with no known n-gram (a zero TF-IDF row stays zero)."""

from __future__ import annotations

import numpy as np
import onnx

from fortress.catalog import get_spec
from fortress.catalog.encode import encode_frame
from fortress.training.parity import onnx_probabilities
from fortress.training.trainers import train


def test_text_models_export_without_l2_normalizer_and_keep_parity() -> None:
    import pandas as pd

    spec = get_spec("dga_detector")
    rng = np.random.default_rng(0)
    good = [f"example{i}.com" for i in range(150)]
    bad = ["".join(rng.choice(list("qxzjkvbw"), size=12)) + ".biz" for _ in range(150)]
    frame = pd.DataFrame({"domain": good + bad})
    inputs = encode_frame(spec, frame)
    result = train(spec, inputs, np.array([0] * 150 + [1] * 150), seed=0, threads=1)
    exported = result.model.to_onnx()
    ops = [(n.domain, n.op_type) for n in onnx.load_from_string(exported).graph.node]
    assert ("ai.onnx.ml", "Normalizer") not in ops
    assert ("", "ReduceL2") in ops

    probe = encode_frame(
        spec, pd.DataFrame({"domain": ["example3.com", "qxzjkvbwqx.biz", "\u00e9\u00e9\u00e9", ""]})
    )
    np.testing.assert_allclose(
        onnx_probabilities(exported, probe), result.model.predict_proba(probe), atol=1e-5
    )
