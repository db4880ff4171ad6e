"""The registry round trip every backend (SQLite, PostgreSQL, S3 artifacts) must pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import numpy as np
import pytest

from fortress.errors import NotFound, RegistryError
from fortress.registry.base import CHAMPION, STAGING
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.training.parity import onnx_probabilities

from .candidates import tiny_candidate


@contextmanager
def local_store_gone(home: Path) -> Iterator[None]:
    """The local artifact store (FORTRESS_HOME/artifacts) moved away, and back afterwards."""
    store, aside = home / "artifacts", home / "artifacts-gone"
    assert any(store.rglob("model.onnx")), f"no artifacts under {store}"
    store.rename(aside)
    try:
        yield
    finally:
        aside.rename(store)


def round_trip(registry: MlflowRegistry, store_gone: Callable[[], AbstractContextManager[None]]) -> None:
    """``store_gone``: a context in which the artifact store cannot be read (emptied or moved away)."""
    candidate, inputs, proba = tiny_candidate(seed=1)
    first = registry.register(candidate)
    assert first.version == 1
    registry.set_alias("tiny_detector", CHAMPION, first.version)
    second = registry.register(tiny_candidate(seed=2)[0])
    registry.set_alias("tiny_detector", STAGING, second.version)

    assert registry.model_names() == ["tiny_detector"]
    versions = registry.versions("tiny_detector")
    assert [(v.version, v.aliases) for v in versions] == [(1, (CHAMPION,)), (2, (STAGING,))]
    assert versions[0].metrics["roc_auc"] == pytest.approx(0.99)
    assert versions[0].data_kind == "simulated"
    assert registry.get_alias("tiny_detector", CHAMPION).version == 1

    fetched = registry.fetch("tiny_detector", CHAMPION)
    assert fetched.spec == candidate.spec
    assert fetched.baseline["fields"]["x"]["kind"] == "number"
    np.testing.assert_allclose(onnx_probabilities(fetched.onnx_bytes(), inputs), proba, atol=1e-5)

    # A second fetch is served from the content-addressed cache, even with the artifact store gone.
    with store_gone():
        cached = registry.fetch("tiny_detector", 1)
        assert cached.onnx_path == fetched.onnx_path
        np.testing.assert_allclose(onnx_probabilities(cached.onnx_bytes(), inputs), proba, atol=1e-5)
        # What is not in the cache yet cannot be fetched: its files are gone. (MLflow reports a missing
        # local folder as a missing resource, NotFound, and a missing S3 object as a download failure.)
        with pytest.raises((NotFound, RegistryError), match=r"models:/tiny_detector/2"):
            registry.fetch("tiny_detector", 2)

    registry.delete_alias("tiny_detector", STAGING)
    with pytest.raises(NotFound):
        registry.get_alias("tiny_detector", STAGING)
    with pytest.raises(NotFound):
        registry.fetch("tiny_detector", 99)
