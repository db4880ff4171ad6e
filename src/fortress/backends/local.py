"""The ``local`` backend: models run in this process on the runtime (ONNX Runtime + dynamic batching)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from fortress.backends.base import DEFAULT_ROUTE, BackendModel, BackendStatus
from fortress.runtime.dispatch import Submitted
from fortress.runtime.manager import ModelEntry, ModelRuntime


class LocalBackend:
    kind = "local"

    def __init__(self, runtime: ModelRuntime) -> None:
        self.runtime = runtime
        self._seen: Mapping[str, ModelEntry] | None = None
        self._served: Mapping[str, BackendModel] = MappingProxyType({})

    async def start(self) -> None:
        await self.runtime.start()

    async def aclose(self) -> None:
        await self.runtime.aclose()

    def served(self) -> Mapping[str, BackendModel]:
        table = self.runtime.table
        if table is not self._seen:  # the runtime swapped its table: rebuild the view once
            self._served = MappingProxyType({name: _backend_model(entry) for name, entry in table.items()})
            self._seen = table
        return self._served

    def submit(self, name: str, feeds: dict[str, np.ndarray], route: str = DEFAULT_ROUTE) -> Submitted:
        """Queued on the runtime's dispatcher at once (the gateway builds its runtime with ``grouped``
        dispatch: an investigation's models join one compute job, without a task each)."""
        runtime = self.runtime
        served = runtime.resolve(name, label=None if route == DEFAULT_ROUTE else route)
        return runtime.submit(served, feeds, encoded=True)

    def status(self) -> BackendStatus:
        status = self.runtime.status
        detail = "" if status.registry_ok else f"registry unreachable: {status.last_error}"
        if status.failed_loads:
            detail = "; ".join([detail, *(f"{k}: {v}" for k, v in status.failed_loads.items())]).strip("; ")
        models = dict.fromkeys(self.runtime.table, True)
        return BackendStatus(ok=bool(models), detail=detail, models=models)


def _backend_model(entry: ModelEntry) -> BackendModel:
    any_version = next(iter(entry.versions.values()))
    routes = dict(entry.labels.items())
    routes[DEFAULT_ROUTE] = entry.default_version
    return BackendModel(any_version.model.spec, MappingProxyType(routes))
