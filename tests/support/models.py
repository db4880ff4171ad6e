"""Loaded runtime models for tests, built from real trained ONNX graphs."""

from __future__ import annotations

from fortress.registry.base import sha256_hex
from fortress.runtime.session import LoadedModel, SessionOptions, load_model

from .candidates import tiny_candidate


def tiny_loaded(seed: int = 0, version: int = 1) -> LoadedModel:
    candidate, _, _ = tiny_candidate(seed)
    return load_model(candidate.spec, version, candidate.onnx, sha256_hex(candidate.onnx), SessionOptions())
