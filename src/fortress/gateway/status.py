"""What the gateway serves and how healthy it is: the bodies of GET /api/v1/models and /health."""

from __future__ import annotations

from typing import Any

from fortress.gateway.service import EnsembleService


def models_overview(service: EnsembleService) -> dict[str, Any]:
    served, known = service.view()
    models = []
    for name, routed in served.items():
        spec = routed.model.spec
        models.append(
            {
                "name": name,
                "version": routed.model.version,
                "routes": dict(routed.model.routes),
                "backend": routed.backend.kind,
                "feature_group": spec.feature_group,
                "description": spec.description,
                "fields": [
                    {"name": f.name, "kind": f.kind.value, "shape": list(f.shape)} for f in spec.fields
                ],
                "labels": list(spec.labels),
                "malicious_labels": sorted(spec.malicious_labels),
                "weight": spec.weight,
                "fallback": spec.fallback,
            }
        )
    missing = [name for name in known.groups if name not in served]
    return {"models": models, "not_served": missing}


def health(service: EnsembleService, rate_limit: tuple[bool, str]) -> dict[str, Any]:
    served, known = service.view()
    backends = {name: backend.status() for name, backend in service.router.backends.items()}
    models: dict[str, Any] = {}
    for name in known.groups:
        routed = served.get(name)
        if routed is None:
            models[name] = {"available": False, "reason": "not served by any backend now"}
            continue
        backend_name = service.router.assignment.get(name, service.router.default)
        available = backends[backend_name].models.get(name, True)
        models[name] = {"available": available, "version": routed.model.version, "backend": backend_name}
    cache = service.cache.status() if service.cache is not None else None
    events = service.events.status()
    healthy = (
        all(m["available"] for m in models.values())
        and (cache is None or cache.ok)
        and events.ok
        and all(b.ok for b in backends.values())
        and rate_limit[0]
        and (service.features is None or service.features.status()[0])
    )
    return {
        "status": "healthy" if healthy else "degraded",
        "models": models,
        "backends": {n: {"ok": b.ok, "detail": b.detail} for n, b in backends.items()},
        "cache": None if cache is None else {"ok": cache.ok, "kind": cache.kind, "detail": cache.detail},
        "events": {"ok": events.ok, "kind": events.kind, "detail": events.detail, "spooled": events.spooled},
        "rate_limit": {"ok": rate_limit[0], "detail": rate_limit[1]},
        "feature_store": None
        if service.features is None
        else dict(zip(("ok", "detail"), service.features.status(), strict=True)),
    }


def ready(service: EnsembleService) -> bool:
    return bool(service.view()[0])
