"""Which backend runs which model: one view over every configured backend."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from fortress.backends.base import BackendModel, ModelBackend


@dataclass(frozen=True, slots=True)
class Routed:
    backend: ModelBackend
    model: BackendModel


class ModelRouter:
    """Models go to their assigned backend (``assignment``) or to ``default``.

    ``served`` is on the hot path: it is rebuilt only when a backend's own view changes (identity).
    """

    def __init__(
        self, backends: Mapping[str, ModelBackend], assignment: Mapping[str, str], default: str
    ) -> None:
        missing = {b for b in (*assignment.values(), default) if b not in backends}
        if missing:
            raise ValueError(f"unknown backend(s) {sorted(missing)}; configured: {sorted(backends)}")
        self.backends = dict(backends)
        self.assignment = dict(assignment)
        self.default = default
        self._seen: tuple[Mapping[str, BackendModel], ...] = ()
        self._served: Mapping[str, Routed] = MappingProxyType({})

    def served(self) -> Mapping[str, Routed]:
        views = {name: backend.served() for name, backend in self.backends.items()}
        seen = tuple(views.values())  # held, so an address is never reused while we compare
        if len(seen) != len(self._seen) or any(a is not b for a, b in zip(seen, self._seen, strict=True)):
            merged: dict[str, Routed] = {}
            for name, view in views.items():
                for model, served in view.items():
                    if self.assignment.get(model, self.default) == name:
                        merged[model] = Routed(self.backends[name], served)
            self._served = MappingProxyType(dict(sorted(merged.items())))
            self._seen = seen
        return self._served

    async def start(self) -> None:
        for backend in self.backends.values():
            await backend.start()

    async def aclose(self) -> None:
        for backend in self.backends.values():
            await backend.aclose()
