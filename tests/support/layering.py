"""The import-graph check behind tests/unit/test_layering.py: which ``fortress`` module may import what.

``violations(root)`` parses every module under ``root/fortress`` with :mod:`ast` (no import runs) and
returns each import that breaks a rule. Every ``import`` / ``from ... import`` statement counts, wherever
it is written: at the top, inside a function (lazy imports) or under ``if TYPE_CHECKING``. Imports
built from strings (``importlib.import_module(name)``) are not seen.

The rules, and why each table entry is where it is, are in the tables below; docs on the layering:
/work/shared/ARCHITECTURE.md ("Layers") and issue 12.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "fortress"

LAYERS: dict[str, int] = {
    # 0: the ground every package stands on.
    "fortress": 0,  # the root package itself: only ``__version__``
    "fortress.errors": 0,
    "fortress.aliases": 0,  # the registry's alias names, named below the registry too
    "fortress.process": 0,
    "fortress.catalog": 0,
    # Metric *definitions* used on the serving path (runtime, gateway) are ground too: they import only
    # prometheus_client and each other, and take the registry they count on. They sit in monitoring/
    # today; moving them would touch runtime and gateway modules being refactored on main, so the table
    # places them instead. Monitoring's own logic (drift, alert rules, dashboards) stays at layer 7.
    "fortress.monitoring.fast_metrics": 0,
    "fortress.monitoring.runtime_metrics": 0,
    "fortress.monitoring.gateway_metrics": 0,
    "fortress.monitoring.store_metrics": 0,  # the feature-store lookup counter the gateway updates
    "fortress.monitoring.worker_files": 0,
    "fortress.monitoring.export": 0,
    # Drift's bins, counters and statistics (numpy, scipy, prometheus_client and the catalog only): training
    # writes a version's reference with them and the gateway counts served rows into them.
    "fortress.monitoring.drift": 0,
    # The inference log's request-path side and its Parquet writer and reader (stdlib, numpy, pyarrow,
    # orjson, prometheus_client and the catalog only): the gateway logs into it as it counts into drift.
    # Its Kafka sink is the gateway's audit machinery, chosen by the gateway's wiring (gateway.platform).
    "fortress.monitoring.inference_log": 0,
    "fortress.datasets": 1,
    "fortress.features": 1,
    "fortress.registry": 2,  # registers and serves what training made; imports nothing of training
    "fortress.training": 3,  # trains, checks and registers candidates (it calls the registry)
    "fortress.runtime": 4,
    "fortress.backends": 5,
    "fortress.http": 5,  # what every HTTP server shares; only transport modules may import it (below)
    "fortress.server": 6,
    "fortress.gateway": 6,  # the gateway core; its HTTP layer is gateway.http
    "fortress.monitoring": 7,
    "fortress.rollout": 7,
    "fortress.pipelines": 7,
    "fortress.ops": 7,
    "fortress.deploy": 7,  # renders deploy/k8s with kubectl kustomize; imports only fortress.errors
    "fortress.gateway.http": 8,
    "fortress.console": 8,
    # 9: entry points, the only modules that see the root ``Settings`` tree.
    "fortress.cli": 9,
    "fortress.docs": 9,
    "fortress.settings": 9,
    "fortress.gateway.http.factory": 9,
    "fortress.server.factory": 9,
}
TOP = max(LAYERS.values())

ROOT_SETTINGS = "fortress.settings"
SETTINGS_ENTRY_POINTS = frozenset({"fortress.gateway.platform"})
"""Below the top layer, modules that may still take the root ``Settings``: ``build_platform(settings,
registry)`` builds the whole gateway from it (gateway, runtime, features, home). It is called only by the
app factory; ``GatewayPlatform`` itself is gateway core, used by the HTTP layer, so the module stays at 6."""

NO_GATEWAY = ("fortress.monitoring", "fortress.rollout", "fortress.pipelines", "fortress.ops")
"""Wave-2 packages plug in above the registry and beside the gateway: they never import it (or the model
server), the gateway counts into them through metric definitions."""
SERVING = ("fortress.gateway", "fortress.server")

FRAMEWORKS = ("fastapi", "starlette", "uvicorn", "grpc", "h11", "httptools", "tritonclient.grpc")
"""HTTP frameworks, ASGI servers and gRPC (``tritonclient.grpc`` holds the v2 gRPC stubs). ``httpx`` is a
client library: remote backends may use it."""
TRANSPORT = (
    "fortress.http",
    "fortress.gateway.http",
    "fortress.console",
    "fortress.cli",  # ``fortress serve`` / ``fortress up`` run uvicorn
    "fortress.backends.v2_grpc",  # the Open Inference Protocol gRPC client
    # The model server is a transport package over the runtime; its codecs (tfserving_codec, v2_codec,
    # v2_rest_codec, v2_errors) and settings are core and stay framework-free.
    "fortress.server.app",
    "fortress.server.errors",
    "fortress.server.factory",
    "fortress.server.grpc_v2",
    "fortress.server.health",
    "fortress.server.tfserving",
    "fortress.server.v2_rest",
)

SETTINGS_MAY_IMPORT = ("__future__", "pydantic", "fortress.aliases", "fortress.errors")
"""Package settings modules (``fortress.X.settings``, ``fortress.X.*_settings``) are plain pydantic models:
layer 0, importing only the standard library, pydantic, other settings modules, ``fortress.aliases``
(three string constants, no imports: ``RuntimeSettings.aliases`` defaults to champion and canary) and
``fortress.errors`` (a setting that names a missing file says so with a domain error)."""


@dataclass(frozen=True, slots=True)
class Violation:
    module: str
    target: str
    rule: str

    def __str__(self) -> str:
        return f"{self.module} -> {self.target} ({self.rule})"


def within(name: str, prefixes: str | tuple[str, ...] | frozenset[str]) -> bool:
    """``name`` is one of ``prefixes`` or a module inside one (dotted, so ``fortress.http`` does not
    contain ``fortress.https``)."""
    if isinstance(prefixes, str):
        prefixes = (prefixes,)
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def is_package_settings(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name != ROOT_SETTINGS and (last == "settings" or last.endswith("_settings"))


def layer_of(name: str) -> int | None:
    if is_package_settings(name):
        return 0
    if name == PACKAGE:
        return LAYERS[PACKAGE]
    keys = (key for key in LAYERS if key != PACKAGE and within(name, key))  # the root: only itself
    best = max(keys, key=len, default=None)
    return None if best is None else LAYERS[best]


def modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package under ``root``."""
    found: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every module ``name`` imports, relative imports resolved; ``from a import b`` names ``a.b`` when
    that is a module of the tree."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                yield submodule if submodule in known else source


def _is_stdlib(name: str) -> bool:
    return name.partition(".")[0] in sys.stdlib_module_names


def _rules(module: str, target: str) -> Iterator[str]:
    here = layer_of(module)
    if within(target, PACKAGE):
        if within(target, ROOT_SETTINGS):
            if here != TOP and module not in SETTINGS_ENTRY_POINTS:
                yield "the root Settings is seen only by entry points"
        else:
            there = layer_of(target)
            if there is None:
                yield "imported module is not in the layer table"
            elif here is not None and there > here:
                yield f"upward import: layer {here} imports layer {there}"
        if within(module, NO_GATEWAY) and within(target, SERVING):
            yield "monitoring, rollout, pipelines and ops never import the gateway or the server"
        if within(target, "fortress.http") and not (within(module, TRANSPORT) or is_package_settings(target)):
            yield "the HTTP layer (fortress.http) is imported only by transport modules"
    elif within(target, FRAMEWORKS) and not within(module, TRANSPORT):
        yield "HTTP frameworks and grpc only in transport modules"
    if is_package_settings(module) and not (
        is_package_settings(target) or within(target, SETTINGS_MAY_IMPORT) or _is_stdlib(target)
    ):
        yield "settings modules import only the standard library, pydantic and other settings"


def violations(root: Path) -> list[Violation]:
    """Every import under ``root/fortress`` that breaks a rule, sorted, one entry per (module, target,
    rule); modules missing from the layer table are reported with target ``-``."""
    known = modules(root)
    found: set[Violation] = set()
    for module, path in known.items():
        if layer_of(module) is None:
            found.add(Violation(module, "-", "module is not in the layer table"))
        for target in imports(module, path, known):
            found.update(Violation(module, target, rule) for rule in _rules(module, target))
    return sorted(found, key=lambda v: (v.module, v.target, v.rule))
