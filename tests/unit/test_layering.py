"""The layering of ``src/fortress``: no package imports a package above it, the HTTP frameworks and grpc
only in transport modules, package settings modules plain pydantic (tests/support/layering.py has the
tables and the checker).

Layers from the ground up: 0 errors, aliases, process, catalog, package settings, metric definitions;
1 datasets, features; 2 registry; 3 training (it registers what it trained); 4 runtime; 5 backends and
the shared HTTP pieces (``fortress.http``, imported only by transport modules); 6 server and the gateway
core; 7 monitoring, rollout, pipelines, ops (never the gateway or the server); 8 the HTTP layers
(gateway.http, console); 9 cli, docs, the root settings and the app factories.
Packages that do not exist yet are in the table already, so that they land in the right place.

Two choices a reader may not expect:

- ``monitoring.fast_metrics``, ``runtime_metrics``, ``gateway_metrics`` and ``store_metrics`` count at
  layer 0. They are the metric *definitions* the serving path updates (runtime and gateway import them),
  they import only prometheus_client and each other, and they take the registry they count on. So do
  ``worker_files`` and ``export``, which the gateway and the model server use to answer ``/metrics``
  for every worker. Placing them in the table is the smallest honest change. Monitoring's own logic
  stays at layer 7.
- ``fortress.settings`` (the root tree) is imported by the top layer and by ``gateway.platform``, whose
  ``build_platform(settings, registry)`` builds the gateway from it; ``GatewayPlatform`` is gateway core
  (the HTTP layer uses it), so the module stays at 6 and is named as an entry point instead.

``KNOWN`` lists today's violations, each with why and what removes it; an entry that no longer matches
anything fails the test, so the list only shrinks.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from support.layering import Violation, violations, within

SRC = Path(__file__).resolve().parents[2] / "src"

KNOWN: dict[tuple[str, str], str] = {}
"""Known violations, each ``(module, imported module): why it exists and what removes it`` (none today)."""


def _known(violation: Violation) -> bool:
    return any(violation.module == module and within(violation.target, target) for module, target in KNOWN)


def test_src_fortress_keeps_its_layers() -> None:
    found = violations(SRC)
    new = [str(v) for v in found if not _known(v)]
    assert not new, "imports that break the layering (module -> imported module (rule)):\n" + "\n".join(new)
    stale = [
        f"{module} -> {target}"
        for module, target in KNOWN
        if not any(v.module == module and within(v.target, target) for v in found)
    ]
    assert not stale, "KNOWN entries that no longer happen; remove them:\n" + "\n".join(stale)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """A tiny ``fortress`` package under ``tmp_path``: the given modules, ``__init__.py`` files added."""
    for name, text in files.items():
        *packages, last = name.split(".")
        folder = tmp_path
        for package in packages:
            folder = folder / package
            folder.mkdir(exist_ok=True)
            (folder / "__init__.py").touch()
        (folder / f"{last}.py").write_text(text)
    return tmp_path


def test_an_upward_import_anywhere_in_a_module_is_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "fortress.gateway.service": "",
            "fortress.server.app": "",
            "fortress.runtime.x": "from fortress.gateway import service\n",
            "fortress.runtime.lazy": "def f() -> None:\n    import fortress.backends.local\n",
            "fortress.runtime.typed": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..server import app\n"
            ),
            "fortress.runtime.fine": "from fortress.registry import base\nfrom . import x\n",
            "fortress.monitoring.reports": "import fortress.gateway.service\n",
        },
    )
    assert [str(v) for v in violations(root)] == [
        "fortress.monitoring.reports -> fortress.gateway.service "
        "(monitoring, rollout, pipelines and ops never import the gateway or the server)",
        "fortress.runtime.lazy -> fortress.backends.local (upward import: layer 4 imports layer 5)",
        "fortress.runtime.typed -> fortress.server.app (upward import: layer 4 imports layer 6)",
        "fortress.runtime.x -> fortress.gateway.service (upward import: layer 4 imports layer 6)",
    ]


def test_frameworks_settings_and_unplaced_modules_are_reported(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "fortress.gateway.service": "import starlette.responses\nfrom grpc import aio\n",
            "fortress.gateway.http.routes": "import fastapi\nfrom fortress.gateway import service\n",
            "fortress.server.tfserving_codec": "from starlette.requests import Request\n",
            "fortress.backends.v2_http": "import httpx\n",
            "fortress.runtime.settings": "import re\nimport numpy\nfrom pydantic import BaseModel\n",
            "fortress.runtime.manager": "from fortress.settings import Settings\n",
            "fortress.wave3": "",
        },
    )
    assert [str(v) for v in violations(root)] == [
        "fortress.gateway.service -> grpc (HTTP frameworks and grpc only in transport modules)",
        "fortress.gateway.service -> starlette.responses "
        "(HTTP frameworks and grpc only in transport modules)",
        "fortress.runtime.manager -> fortress.settings (the root Settings is seen only by entry points)",
        "fortress.runtime.settings -> numpy "
        "(settings modules import only the standard library, pydantic and other settings)",
        "fortress.server.tfserving_codec -> starlette.requests "
        "(HTTP frameworks and grpc only in transport modules)",
        "fortress.wave3 -> - (module is not in the layer table)",
    ]


def test_the_checker_reports_an_upward_import_injected_into_a_copy_of_src(tmp_path: Path) -> None:
    shutil.copytree(SRC / "fortress", tmp_path / "fortress")
    before = set(violations(tmp_path))
    (tmp_path / "fortress" / "runtime" / "injected.py").write_text("from fortress.gateway import service\n")
    assert set(violations(tmp_path)) - before == {
        Violation(
            "fortress.runtime.injected",
            "fortress.gateway.service",
            "upward import: layer 4 imports layer 6",
        )
    }
