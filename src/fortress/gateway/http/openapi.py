"""The gateway's OpenAPI schema: the fast routes from their one declaration, and the request's
``features`` described per feature group from the served models' specs.

``INFERENCE_ROUTES`` are served by the fast path, so FastAPI's router does not know them: their path
items are written here from the same table (request and response models, error responses from the
error table). ``InferenceRequest.features`` is an open mapping in the request model (the groups depend
on what is served); in the schema it becomes one property per feature group: a record or a list of
records (at most ``max_records``), each record an object with every field the group's models read,
typed as the encoder accepts it (numbers within float32, strings, tensors as nested arrays of their
shape or ``{"b64": ...}``). Clients can generate typed code from it, and fuzzers valid requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI

from fortress.catalog.encode import FLOAT32_MAX
from fortress.catalog.spec import FieldKind, FieldSpec, ModelSpec
from fortress.gateway.http.api import INFERENCE_ROUTES, FastRoute
from fortress.gateway.http.errors import ERROR_RESPONSES
from fortress.gateway.schema import ErrorBody, InferenceRequest

REF = "#/components/schemas/"
NUMBER = {"type": "number", "minimum": -FLOAT32_MAX, "maximum": FLOAT32_MAX}


def document(app: FastAPI, specs: Callable[[], Iterable[ModelSpec]], max_records: int) -> None:
    """Extend ``app.openapi`` (built once, on first use) with the fast routes and the feature groups of
    ``specs()`` (the models the gateway serves)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for route in INFERENCE_ROUTES:
            for model in (route.request, route.response, ErrorBody):
                body = model.model_json_schema(ref_template=REF + "{model}")
                components.update(body.pop("$defs", {}))
                components[model.__name__] = body
            schema.setdefault("paths", {})[route.path] = {"post": _operation(route)}
        served = list(specs())
        groups = feature_groups(served, max_records)
        components.update(groups.records)
        request = components[InferenceRequest.__name__]["properties"]
        request["features"] = {**groups.features, "description": request["features"].get("description", "")}
        if served:
            request["models"] = {
                "anyOf": [
                    {"type": "array", "items": {"enum": sorted(s.name for s in served)}, "maxItems": 64},
                    {"type": "null"},
                ],
                "description": request["models"].get("description", ""),
            }
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


class FeatureGroups:
    def __init__(self, features: dict[str, Any], records: dict[str, Any]) -> None:
        self.features = features
        """The schema of ``InferenceRequest.features``."""
        self.records = records
        """Component schemas: one record schema per feature group."""


def feature_groups(specs: Iterable[ModelSpec], max_records: int) -> FeatureGroups:
    fields: dict[str, dict[str, FieldSpec]] = {}
    for spec in specs:
        of_group = fields.setdefault(spec.feature_group, {})
        for field in spec.fields:
            of_group.setdefault(field.name, field)
    records: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    for group, by_name in sorted(fields.items()):
        name = "".join(part.title() for part in group.split("_")) + "Record"
        records[name] = {
            "type": "object",
            "title": name,
            "description": f"One record of the {group!r} feature group: every field its models read.",
            "properties": {n: field_schema(f) for n, f in sorted(by_name.items())},
            "required": sorted(by_name),
        }
        ref = {"$ref": REF + name}
        properties[group] = {
            "anyOf": [ref, {"type": "array", "items": ref, "minItems": 1, "maxItems": max_records}]
        }
    features = {"type": "object", "properties": properties, "additionalProperties": False, "minProperties": 1}
    return FeatureGroups(features, records)


def field_schema(field: FieldSpec) -> dict[str, Any]:
    """A field as the encoder (``catalog/encode.py``) accepts it."""
    described = {"description": field.description} if field.description else {}
    if field.kind is FieldKind.NUMBER:
        return {**NUMBER, **described}
    if field.kind in (FieldKind.CATEGORY, FieldKind.TEXT):
        return {"type": "string", **described}
    nested: dict[str, Any] = NUMBER
    for size in reversed(field.shape):
        nested = {"type": "array", "items": nested, "minItems": size, "maxItems": size}
    binary = {
        "type": "object",
        "properties": {"b64": {"type": "string", "contentEncoding": "base64"}},
        "required": ["b64"],
        "additionalProperties": False,
        "description": "the float32 values, little-endian, C order, base64-encoded",
    }
    return {"anyOf": [nested, binary], **described}


def _ref(model: type[Any]) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF + model.__name__}}}


def _operation(route: FastRoute) -> dict[str, Any]:
    ok = {"description": "Successful Response", "content": _ref(route.response)}
    responses: dict[str, Any] = {"200": ok}
    for status, entry in ERROR_RESPONSES.items():
        responses[str(status)] = {"description": entry["description"], "content": _ref(entry["model"])}
    return {
        "tags": ["inference"],
        "summary": route.summary,
        "operationId": route.handler,
        "requestBody": {"required": True, "content": _ref(route.request)},
        "responses": responses,
    }
