"""Every view of a lookup in one Redis round trip, through Feast's Redis online store.

Feast's ``online_read`` reads one view per call (a round trip each). Its Redis store keeps all
views of an entity in one hash and batches views itself inside ``get_online_features``; this does
the same for the adapter: one pipeline with one HMGET per (view, entity), decoded by the store's own
helpers, so keys, field hashes and value encoding stay Feast's. These helpers are Feast internals
(pinned ``feast<0.68``); tests/integration/test_feast_redis.py checks them against a real Redis.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

Request = tuple[Any, Any, list[str]]
"""(FeatureView, EntityKeyProto, feature names)."""
Row = tuple[datetime | None, Any]


def _commands(store: Any, config: Any, requests: Sequence[Request]) -> tuple[list[Any], list[Any]]:
    commands, decoders = [], []
    for view, entity_key, features in requests:
        names, fields = store._generate_hset_keys_for_features(
            view, list(features), fv_name_override=view.name
        )
        (key,) = store._generate_redis_keys_for_entities(config, [entity_key])
        commands.append((key, fields))
        decoders.append((view.name, names))
    return commands, decoders


def _decode(store: Any, replies: Sequence[Any], decoders: Sequence[Any]) -> list[Row]:
    rows: list[Row] = []
    for values, (view, names) in zip(replies, decoders, strict=True):
        rows.append(store._convert_redis_values_to_protobuf([values], view, names)[0])
    return rows


def read(store: Any, config: Any, requests: Sequence[Request]) -> list[Row]:
    commands, decoders = _commands(store, config, requests)
    return _decode(store, store._read_hash_fields(config, commands), decoders)


async def read_async(store: Any, config: Any, requests: Sequence[Request]) -> list[Row]:
    commands, decoders = _commands(store, config, requests)
    client = await store._get_client_async(config.online_store)
    async with client.pipeline(transaction=False) as pipe:
        for key, fields in commands:
            pipe.hmget(key, fields)
        replies = await pipe.execute()
    return _decode(store, replies, decoders)
