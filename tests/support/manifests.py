"""The rendered manifests of both overlays (``fortress.deploy.render``), parsed once per test session."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from fortress.deploy.render import ENVIRONMENTS, render

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "deploy" / "schemas"
Obj = dict[str, Any]


@functools.cache
def objects(env: str) -> tuple[Obj, ...]:
    return tuple(doc for doc in yaml.safe_load_all(render(env)) if doc)


def all_objects() -> Iterator[tuple[str, Obj]]:
    for env in ENVIRONMENTS:
        for obj in objects(env):
            yield env, obj


def object_id(env: str, obj: Obj) -> str:
    return f"{env}/{obj['kind']}/{obj['metadata']['name']}"


def pod_spec(obj: Obj) -> Obj | None:
    """The pod template's spec of a workload (Deployment, StatefulSet, DaemonSet, Job, CronJob)."""
    kind = obj["kind"]
    template: Obj | None = None
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        template = obj["spec"]["template"]
    elif kind == "CronJob":
        template = obj["spec"]["jobTemplate"]["spec"]["template"]
    return None if template is None else template["spec"]


def workloads(env: str) -> list[Obj]:
    return [obj for obj in objects(env) if pod_spec(obj) is not None]
