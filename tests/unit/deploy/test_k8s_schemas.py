"""Every rendered object of both overlays validates: built-in kinds against the Kubernetes 1.30 schemas
kubernetes-validate ships (strict: unknown fields fail), custom resources (KEDA ScaledObject, Velero
Schedule, ExternalSecret) against the hand-written schemas of deploy/schemas (see its README)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from support.manifests import SCHEMAS, Obj, all_objects, object_id, objects

K8S_VERSION = "1.30.0"
CUSTOM = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh-v1alpha1-scaledobject.yaml",
    ("velero.io/v1", "Schedule"): "velero.io-v1-schedule.yaml",
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io-v1-externalsecret.yaml",
}
OBJECTS = list(all_objects())


def custom_schema(obj: Obj) -> dict[str, Any] | None:
    name = CUSTOM.get((obj["apiVersion"], obj["kind"]))
    if name is None:
        return None
    schema: dict[str, Any] = yaml.safe_load((SCHEMAS / name).read_text(encoding="utf-8"))
    return schema


def validate(obj: Obj) -> None:
    schema = custom_schema(obj)
    if schema is None:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    else:
        jsonschema.Draft202012Validator(schema).validate(obj)


@pytest.mark.parametrize(("env", "obj"), OBJECTS, ids=[object_id(e, o) for e, o in OBJECTS])
def test_every_rendered_object_validates(env: str, obj: Obj) -> None:
    validate(obj)


def test_both_overlays_render_the_expected_kinds() -> None:
    for env in ("staging", "production"):
        kinds = {obj["kind"] for obj in objects(env)}
        assert {"Namespace", "Deployment", "Service", "PodDisruptionBudget", "CronJob"} <= kinds
        assert "NetworkPolicy" in kinds
        assert {"ServiceAccount", "Role", "RoleBinding", "ExternalSecret"} <= kinds
    assert "HorizontalPodAutoscaler" in {o["kind"] for o in objects("staging")}
    assert {"ScaledObject", "Schedule"} <= {o["kind"] for o in objects("production")}


def test_the_kubernetes_validate_command_passes_on_the_built_in_objects(tmp_path: Path) -> None:
    for env in ("staging", "production"):
        built_in = [obj for obj in objects(env) if custom_schema(obj) is None]
        path = tmp_path / f"{env}.yaml"
        path.write_text(yaml.safe_dump_all(built_in), encoding="utf-8")
        command = [str(Path(sys.executable).with_name("kubernetes-validate")), "-k", K8S_VERSION, "--strict"]
        command.append(str(path))
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def first(kind: str, env: str = "production") -> Obj:
    return copy.deepcopy(next(obj for obj in objects(env) if obj["kind"] == kind))


def test_an_unknown_field_fails_strict_validation() -> None:
    deployment = first("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(deployment)


@pytest.mark.parametrize(
    ("kind", "path", "value"),
    [
        ("ScaledObject", ("spec", "triggers", 0, "metricType"), "Average"),
        ("ScaledObject", ("spec", "minReplicas"), 3),  # the HPA's spelling, not KEDA's
        ("Schedule", ("spec", "template", "ttl"), "30 days"),
        ("Schedule", ("spec", "template", "labelSelectors"), {}),
        ("ExternalSecret", ("spec", "secretStoreRef", "kind"), "Vault"),
        ("ExternalSecret", ("spec", "data", 0, "remoteRef", "name"), "x"),
    ],
)
def test_custom_resource_schemas_reject_wrong_fields(
    kind: str, path: tuple[str | int, ...], value: Any
) -> None:
    obj = first(kind)
    node: Any = obj
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        validate(obj)
