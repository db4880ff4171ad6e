"""The model catalog: one ``ModelSpec`` per model of the reference ensemble."""

from __future__ import annotations

from fortress.catalog.reference import reference_specs
from fortress.catalog.spec import Family, FieldKind, FieldSpec, InputTensor, ModelSpec
from fortress.errors import UnknownModel

__all__ = [
    "Family",
    "FieldKind",
    "FieldSpec",
    "InputTensor",
    "ModelSpec",
    "get_spec",
    "model_names",
    "resolve_models",
]


def model_names() -> list[str]:
    return [s.name for s in reference_specs()]


def get_spec(name: str) -> ModelSpec:
    for spec in reference_specs():
        if spec.name == name:
            return spec
    raise UnknownModel(name, model_names())


def resolve_models(selection: str | None) -> list[ModelSpec]:
    """Parse a comma-separated model list ('' or None: all twelve), rejecting unknown names."""
    if not selection or not selection.strip():
        return list(reference_specs())
    names = [n.strip() for n in selection.split(",") if n.strip()]
    return [get_spec(n) for n in dict.fromkeys(names)]
