"""Online feature lookup, as the gateway sees it: a protocol and its result type.

The Feast implementation is ``features/feast_store.py`` (imported only when a store is configured:
importing Feast takes seconds). ``GROUPS`` in ``features/views.py`` lists the groups a store serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class OnlineFeatures:
    """Store features of one set of entities, by feature group.

    A field is in exactly one of ``values`` (present and fresh), ``missing`` (no value for the
    entity, or the entity was not given) and ``stale`` (a value older than its view's TTL, which is
    *not* served: a model must not see it, as training never did).
    """

    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Feature group -> field -> value (only fields found and fresh)."""
    missing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Feature group -> fields with no value for the entity."""
    stale: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Feature group -> fields whose value is older than the view's TTL."""

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """``{group: {"values": {...}, "missing": [...], "stale": [...]}}`` for JSON output."""
        groups = sorted({*self.values, *self.missing, *self.stale})
        return {
            g: {
                "values": dict(self.values.get(g, {})),
                "missing": list(self.missing.get(g, ())),
                "stale": list(self.stale.get(g, ())),
            }
            for g in groups
        }


class FeatureStore(Protocol):
    async def lookup(self, entities: Mapping[str, str], groups: Sequence[str]) -> OnlineFeatures:
        """Latest values of ``groups`` for ``entities`` (join key -> id, e.g. ``{"user_id": "u1"}``).

        Raises ``InvalidInput`` for a group the store does not serve and ``FeatureStoreUnavailable``
        when the online store cannot be read.
        """
        ...

    def status(self) -> tuple[bool, str]:
        """(healthy, one-line description) from what the store last saw; does no I/O."""
        ...

    async def aclose(self) -> None: ...
