"""The registry's alias names, defined once.

An alias points at one version of a model: ``champion`` serves by default, ``canary`` takes a share of
traffic during a rollout, ``staging`` holds a candidate trained while a champion exists. The gateway's
route names are the same words.

They live here, at the bottom layer with ``errors``, and not in ``registry/`` because packages below the
registry name them too (``RuntimeSettings.aliases``' default, a settings module that imports only
pydantic and this). ``fortress.registry.base`` re-exports them as part of the registry's interface.
Nothing is imported here.
"""

CHAMPION = "champion"
STAGING = "staging"
CANARY = "canary"
