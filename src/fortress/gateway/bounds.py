"""Container sizes checked on the parsed JSON before pydantic iterates anything.

A request's cost must be bounded by what the served models can read, not by what a client sends:
500,000 zeros given as a feature group's records made pydantic build 500,000 errors (2-3 s of one
worker for a 1 MB body). Here every container pydantic would walk is measured with ``len`` first:
investigations per batch, fields of an investigation, models, entities, feature groups, records per
group and fields per record. Field values are pydantic's ``Any`` (never iterated there); the
encoder bounds them, each by its catalog spec, before its per-element work (``catalog/encode.py``:
characters of strings, elements of tensors). What passes still goes through the request models and
the encoder, which name every other mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fortress.catalog.spec import ModelSpec
from fortress.gateway.errors import BadRequest, InvalidFeatures
from fortress.gateway.schema import MAX_ENTITIES, MAX_MODELS, InferenceRequest
from fortress.gateway.settings import LimitSettings

_TOP_LEVEL = len(InferenceRequest.model_fields)


class RequestBounds:
    def __init__(self, specs: Iterable[ModelSpec], limits: LimitSettings) -> None:
        fields: dict[str, set[str]] = {}
        for spec in specs:
            fields.setdefault(spec.feature_group, set()).update(spec.field_names)
        self.limits = limits
        self._max_fields = {group: len(names) + limits.max_extra_fields for group, names in fields.items()}
        """Feature group -> most fields one of its records may have."""
        self._small = min([limits.max_records, *self._max_fields.values()])
        """A group's value no longer than this is within bounds, whatever its group."""

    def batch(self, raw: Any) -> None:
        """Bounds of a batch call's body (``{"investigations": [...]}``)."""
        if type(raw) is not dict:
            return
        investigations = raw.get("investigations")
        if len(raw) > 1 or not isinstance(investigations, list):
            return  # the request model names what is wrong: at most one extra field's worth of errors
        limit = self.limits.max_investigations
        if len(investigations) > limit:
            raise BadRequest(f"{len(investigations)} investigations; at most {limit} per batch")
        for i, investigation in enumerate(investigations):
            try:
                self.investigation(investigation)
            except (BadRequest, InvalidFeatures) as exc:
                raise type(exc)(f"investigations[{i}]: {exc}") from None

    def investigation(self, raw: Any) -> None:
        """Bounds of one investigation's parsed JSON."""
        if type(raw) is not dict:
            return
        if len(raw) > _TOP_LEVEL:
            raise InvalidFeatures(
                f"invalid request: {len(raw)} fields; an investigation has at most these {_TOP_LEVEL}: "
                + ", ".join(InferenceRequest.model_fields)
            )
        models = raw.get("models")
        if type(models) is list and len(models) > MAX_MODELS:
            raise InvalidFeatures(f"models: {len(models)} names; at most {MAX_MODELS}")
        entities = raw.get("entities")
        if type(entities) is dict and len(entities) > MAX_ENTITIES:
            raise InvalidFeatures(f"entities: {len(entities)} entities; at most {MAX_ENTITIES}")
        features = raw.get("features")
        if type(features) is not dict or not features:
            return
        if len(features) > len(self._max_fields):
            names = ", ".join(sorted(self._max_fields))
            raise InvalidFeatures(
                f"features: {len(features)} feature groups; the served models read "
                f"{len(self._max_fields)}: {names}"
            )
        values = features.values()
        try:  # the common case in C: single records of a few dozen fields
            small = max(map(len, values)) <= self._small and list not in map(type, values)
        except TypeError:  # a value without a length: the request model names it
            small = False
        if not small:
            for group, value in features.items():
                self._group(group, value)

    def _group(self, group: str, value: Any) -> None:
        most = self._max_fields.get(group)
        if most is None:  # an unknown group: the plan names it (there are few, see above)
            return
        if type(value) is dict:
            self._record(group, value, most)
            return
        if not isinstance(value, list):
            return
        limit = self.limits.max_records
        if len(value) > limit:
            raise InvalidFeatures(f"{group}: {len(value)} records; at most {limit} per group")
        for i, record in enumerate(value):
            if type(record) is not dict:
                raise InvalidFeatures(
                    f"{group}[{i}]: a record is a JSON object of fields, not {_json_type(record)}"
                )
            self._record(group, record, most)

    def _record(self, group: str, record: dict[Any, Any], most: int) -> None:
        if len(record) > most:
            extra = self.limits.max_extra_fields
            raise InvalidFeatures(
                f"{group}: a record has {len(record)} fields; at most {most} "
                f"(the {most - extra} its models read and {extra} others)"
            )


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
