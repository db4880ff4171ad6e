"""The registry's change token (registry/change_token.py) on the embedded SQLite store: it moves on
every write the runtime follows and only on those."""

from __future__ import annotations

import pytest

from fortress.errors import RegistryError
from fortress.registry.base import CANARY, CHAMPION
from fortress.registry.change_token import ChangeToken
from fortress.registry.mlflow_registry import MlflowRegistry
from fortress.registry.settings import RegistrySettings
from fortress.settings import Settings
from support.candidates import tiny_candidate


def test_token_moves_on_alias_and_version_writes_only(settings: Settings) -> None:
    registry = MlflowRegistry(settings.registry, settings.home)
    registry.register(tiny_candidate(1)[0])
    registry.set_alias("tiny_detector", CHAMPION, 1)
    seen = [registry.change_token()]
    assert seen[0] is not None
    assert seen[0] == registry.change_token()

    registry.versions("tiny_detector")  # reads of every kind leave it alone
    registry.resolve("tiny_detector", CHAMPION)
    assert registry.change_token() == seen[-1]

    writes = [
        lambda: registry.register(tiny_candidate(2)[0]),  # a new version
        lambda: registry.set_alias("tiny_detector", CANARY, 2),  # an alias set
        lambda: registry.set_alias("tiny_detector", CHAMPION, 2),  # an alias moved
        lambda: registry.delete_alias("tiny_detector", CANARY),  # an alias deleted
    ]
    for write in writes:
        write()
        token = registry.change_token()
        assert token not in seen, "every write must give a token never seen before"
        seen.append(token)


def test_a_store_that_is_not_sql_has_no_token(settings: Settings) -> None:
    assert not ChangeToken.supports("http://mlflow.example:5000")
    assert ChangeToken.supports(settings.registry.store_uri(settings.home))


def test_an_unreadable_store_is_a_registry_error(settings: Settings) -> None:
    registry = MlflowRegistry(settings.registry, settings.home)
    registry.change_token()
    (settings.home / "registry" / "mlflow.db").write_bytes(b"not a database")
    registry._token = ChangeToken(RegistrySettings().store_uri(settings.home))  # a fresh connection
    with pytest.raises(RegistryError, match=r"cannot read the registry's change token: .*database"):
        registry.change_token()
