"""Character n-gram TF-IDF + logistic regression over one normalised text field.

The whole pipeline, tokenisation included, is inside the ONNX graph; the only step outside is
``catalog.encode.normalize_text``, which training and serving both apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fortress.catalog.spec import TEXT_INPUT, ModelSpec
from fortress.training.model import ONNX_ML_OPSET, TrainResult, keep_only_probabilities
from fortress.training.onnx_rewrite import replace_l2_normalizers
from fortress.training.onnx_tfidf import fuse_tfidf_linear

TEXT_OPSET = 21


@dataclass
class TextModel:
    spec: ModelSpec
    pipeline: Any  # sklearn Pipeline(tfidf, lr)

    def predict_proba(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        texts = [str(t) for t in inputs[TEXT_INPUT][:, 0]]
        return np.asarray(self.pipeline.predict_proba(texts), dtype=np.float64)

    def to_onnx(self) -> bytes:
        return bytes(self.export().SerializeToString())

    def export(self, *, fuse: bool = True) -> Any:
        """The ``onnx.ModelProto``; ``fuse=False``: without the TF-IDF fusion (tests compare both)."""
        import warnings

        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import StringTensorType

        classifier = self.pipeline.steps[-1][1]
        with warnings.catch_warnings():
            # skl2onnx warns for every non-word analyzer; 'char' is covered by our parity check.
            warnings.filterwarnings("ignore", message="The conversion of CountVectorizer")
            model = convert_sklearn(
                self.pipeline,
                initial_types=[(TEXT_INPUT, StringTensorType([None, 1]))],
                options={id(classifier): {"zipmap": False}},
                target_opset={"": TEXT_OPSET, "ai.onnx.ml": ONNX_ML_OPSET},
            )
        keep_only_probabilities(model)
        if not (fuse and fuse_tfidf_linear(model)):  # not fused: at least the L2 rewrite
            replace_l2_normalizers(model)
        return model


MAX_FEATURES = 8192
"""Vocabulary size. Serving cost is linear in it: ONNX Runtime's TfIdfVectorizer writes a dense row this
wide and the scores read it. 30,000 terms cost 3x more per row (41 vs 125 µs per row at batch 8 for
the four text models together) for at most 1.2 points of accuracy (docs/TRAINING.md)."""


def train_text(
    spec: ModelSpec, inputs: dict[str, np.ndarray], y: np.ndarray, seed: int, threads: int
) -> TrainResult:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    multiclass = len(np.unique(y)) > 2
    params: dict[str, Any] = {
        "analyzer": "char",
        "ngram_range": (1, 4),
        "max_features": MAX_FEATURES,
        "min_df": 2,
        "C": 8.0 if not multiclass else 20.0,
        "class_weight": "balanced",
    }
    vectorizer = TfidfVectorizer(
        analyzer="char",
        ngram_range=params["ngram_range"],
        max_features=params["max_features"],
        min_df=params["min_df"],
        lowercase=False,  # normalize_text lower-cases; ONNX's locale-dependent lower-casing is avoided
        dtype=np.float32,
    )
    classifier = LogisticRegression(C=params["C"], class_weight="balanced", max_iter=2000, random_state=seed)
    pipeline = Pipeline([("tfidf", vectorizer), ("lr", classifier)])
    pipeline.fit([str(t) for t in inputs[TEXT_INPUT][:, 0]], y)
    return TrainResult(TextModel(spec, pipeline), {"family": "text", **params})
