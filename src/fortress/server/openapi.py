"""The model server's OpenAPI document (``GET /openapi.json``): TF Serving REST, Open Inference Protocol
v2 REST and the operational routes, with the statuses each can answer (from ``server/errors.py``).

Written here because the server is plain Starlette (no schema generator), and kept beside the routes
it describes; bodies are described as far as both protocols define them (TF Serving's ``instances`` or
``inputs``; v2's ``inputs`` tensors), the served model names as examples.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fortress import __version__

ERROR = {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}
ANY_OBJECT: dict[str, Any] = {"type": "object"}
_TEXT = {"text/plain": {"schema": {"type": "string"}}}
_FAILURES = {
    "400": "Malformed request (JSON, tensor names, shapes, datatypes)",
    "404": "No such model, version or label",
    "413": "Body too large",
    "429": "Overloaded (see Retry-After)",
    "500": "A bug (logged); no internals in the body",
    "503": "The model cannot answer now",
    "504": "No answer within the request timeout",
}
TF_PREDICT = {
    "type": "object",
    "description": "TF Serving's predict request: row format (instances) or columnar format (inputs).",
    "properties": {
        "signature_name": {"type": "string"},
        "instances": {"type": "array", "minItems": 1},
        "inputs": {"anyOf": [{"type": "object"}, {"type": "array"}]},
    },
    "minProperties": 1,
}
V2_TENSOR = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "datatype": {"type": "string", "enum": ["FP32", "BYTES"]},
        "data": {"type": "array"},
        "parameters": {"type": "object"},
    },
    "required": ["name", "shape", "datatype"],
}
V2_INFER = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "parameters": {"type": "object"},
        "inputs": {"type": "array", "items": V2_TENSOR, "minItems": 1},
        "outputs": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["inputs"],
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _responses(ok: dict[str, Any], *failures: str) -> dict[str, Any]:
    out: dict[str, Any] = {"200": {"description": "OK", "content": ok}}
    for status in failures:
        out[status] = {"description": _FAILURES[status], "content": _json(ERROR)}
    return out


def _operation(summary: str, params: list[str], responses: dict[str, Any], body: Any = None) -> Any:
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    operation["parameters"] = [
        {"name": p, "in": "path", "required": True, "schema": _PARAMS[p]} for p in params
    ]
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    return operation


def _inference(summary: str, params: list[str], body: dict[str, Any]) -> Any:
    failures = ("400", "404", "413", "429", "500", "503", "504")
    return _operation(summary, params, _responses(_json(ANY_OBJECT), *failures), body)


_PARAMS: dict[str, dict[str, Any]] = {
    "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
    "version": {"type": "string", "pattern": "^[0-9]{1,9}$"},
    "label": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
}


def openapi(model_names: Callable[[], Iterable[str]]) -> dict[str, Any]:
    """The document, naming the models loaded now as examples of ``{name}``."""
    names = sorted(model_names())
    params = {**_PARAMS, "name": {**_PARAMS["name"], **({"examples": names} if names else {})}}
    paths: dict[str, Any] = {}
    for suffix, extra in (("", []), ("/versions/{version}", ["version"]), ("/labels/{label}", ["label"])):
        target = ["name", *extra]
        paths[f"/v1/models/{{name}}{suffix}:predict"] = {
            "post": _inference("TF Serving predict", target, TF_PREDICT)
        }
        paths[f"/v1/models/{{name}}{suffix}"] = {
            "get": _operation("TF Serving model status", target, _responses(_json(ANY_OBJECT), "404"))
        }
        paths[f"/v1/models/{{name}}{suffix}/metadata"] = {
            "get": _operation("TF Serving model metadata", target, _responses(_json(ANY_OBJECT), "404"))
        }
    for suffix, extra in (("", []), ("/versions/{version}", ["version"])):
        target = ["name", *extra]
        base = f"/v2/models/{{name}}{suffix}"
        paths[base] = {"get": _operation("v2 model metadata", target, _responses(_json(ANY_OBJECT), "404"))}
        paths[f"{base}/ready"] = {
            "get": _operation("v2 model ready", target, _responses(_json(ANY_OBJECT), "404"))
        }
        paths[f"{base}/infer"] = {"post": _inference("v2 inference", target, V2_INFER)}
    paths["/v2"] = {"get": _operation("v2 server metadata", [], _responses(_json(ANY_OBJECT)))}
    for path, summary in (("/v2/health/live", "v2 live"), ("/health/live", "live")):
        paths[path] = {"get": _operation(summary, [], _responses(_json(ANY_OBJECT)))}
    for path in ("/v2/health/ready", "/health/ready"):
        ready = _responses(_json(ANY_OBJECT))
        ready["503"] = {"description": "No model loaded yet", "content": _json(ANY_OBJECT)}
        paths[path] = {"get": _operation("ready", [], ready)}
    paths["/metrics"] = {"get": _operation("Prometheus metrics", [], _responses(_TEXT))}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "Fortress model server", "version": __version__},
        "paths": paths,
    }
    for item in paths.values():
        for operation in item.values():
            for parameter in operation["parameters"]:
                parameter["schema"] = params[parameter["name"]]
    return document
