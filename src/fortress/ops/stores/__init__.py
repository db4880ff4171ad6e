"""What a backup holds, one store per thing (``base.Store``); later ones (rollout state, pipeline runs,
the inference log) slot into ``default_stores``."""

from __future__ import annotations

from fortress.ops.stores.artifacts import ArtifactStore
from fortress.ops.stores.backend import BackendStore
from fortress.ops.stores.base import Store
from fortress.ops.stores.config import ConfigStore
from fortress.ops.stores.files import AUDIT, FEATURES, INFERENCE_LOG, KEYS, AppendLogStore, TreeStore


def default_stores() -> list[Store]:
    """In backup and restore order: the MLflow backend store first (the artifacts store reads the
    versions from its snapshot), then artifacts, features, keys, the audit log, the configuration."""
    return [
        BackendStore(),
        ArtifactStore(),
        TreeStore(FEATURES, exclude=("online.db", "feature_store.yaml", INFERENCE_LOG)),
        TreeStore(INFERENCE_LOG),
        TreeStore(KEYS),
        AppendLogStore(AUDIT),
        ConfigStore(),
    ]
