"""The Feast repository in code: entities, file sources and feature views built from ``views.py``.

Importing this module imports Feast (seconds): only the store, the CLI's feature commands and
training import it, lazily.
"""

from __future__ import annotations

from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float32, Float64, Int64, PrimitiveFeastType, String

from fortress.features.views import ENTITIES, TIMESTAMP, VIEWS, Dtype, EntitySpec, ViewSpec

_TYPES: dict[Dtype, PrimitiveFeastType] = {
    Dtype.FLOAT32: Float32,
    Dtype.FLOAT64: Float64,
    Dtype.INT64: Int64,
    Dtype.STRING: String,
}


def entity(spec: EntitySpec) -> Entity:
    return Entity(
        name=spec.name,
        join_keys=[spec.join_key],
        value_type=ValueType.STRING,
        description=spec.description,
    )


def source(spec: ViewSpec) -> FileSource:
    """The view's offline folder, relative to the repository (so a moved repository still works)."""
    return FileSource(
        name=f"{spec.name}_source",
        path=f"offline/{spec.name}",
        timestamp_field=TIMESTAMP,
        description=f"Offline rows of {spec.name} written by the feature pipeline.",
    )


def feature_view(spec: ViewSpec, entities: dict[str, Entity]) -> FeatureView:
    schema = [
        Field(name=spec.entity.join_key, dtype=String),
        *(Field(name=name, dtype=_TYPES[dtype]) for name, dtype in spec.fields),
    ]
    return FeatureView(
        name=spec.name,
        entities=[entities[spec.entity.name]],
        ttl=spec.ttl,
        schema=schema,
        online=True,
        source=source(spec),
        description=spec.description,
        tags={"team": "ml", "tier": spec.tier, "group": spec.group},
    )


def repository() -> tuple[list[Entity], list[FeatureView]]:
    """Every entity and feature view, as ``FeatureStore.apply`` takes them."""
    entities = {spec.name: entity(spec) for spec in ENTITIES}
    return list(entities.values()), [feature_view(spec, entities) for spec in VIEWS.values()]
