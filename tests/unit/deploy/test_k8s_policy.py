"""Our own policy over the rendered manifests of both overlays: Pod Security `restricted`, resources,
probes, pinned images, default deny, one scaler per workload, rolling updates, and every command,
setting and metric the manifests name is one Fortress has."""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from fortress.settings import Settings, unknown_settings
from support.cli import fortress
from support.manifests import REPO, Obj, object_id, objects, pod_spec, workloads

ENVS = ("staging", "production")
WORKLOADS = [(env, obj) for env in ENVS for obj in workloads(env)]
IDS = [object_id(env, obj) for env, obj in WORKLOADS]
SERVERS = ("fortress-gateway", "fortress-model-server")


def containers(obj: Obj) -> list[Obj]:
    spec = pod_spec(obj)
    assert spec is not None
    return [*spec.get("initContainers", []), *spec["containers"]]


def pod_security_violations(obj: Obj) -> list[str]:
    """What the Pod Security Standards' `restricted` profile would refuse in this workload's pods."""
    spec = pod_spec(obj)
    assert spec is not None
    pod = spec.get("securityContext", {})
    found = [f"pod: host namespace {k}" for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    for volume in spec.get("volumes", []):
        if "hostPath" in volume:
            found.append(f"volume {volume['name']}: hostPath")
    for c in containers(obj):
        sc = c.get("securityContext", {})
        name = c["name"]
        if sc.get("runAsNonRoot", pod.get("runAsNonRoot")) is not True:
            found.append(f"{name}: runAsNonRoot is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            found.append(f"{name}: privileged")
        if "ALL" not in sc.get("capabilities", {}).get("drop", []):
            found.append(f"{name}: capabilities do not drop ALL")
        if set(sc.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds capabilities")
        seccomp = sc.get("seccompProfile", pod.get("seccompProfile", {})).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile is {seccomp}")
        if sc.get("readOnlyRootFilesystem") is not True:
            found.append(f"{name}: root filesystem is writable")  # ours, beyond `restricted`
    return found + [
        f"{c['name']}: hostPort" for c in containers(obj) for p in c.get("ports", []) if p.get("hostPort")
    ]


@pytest.mark.parametrize(("env", "obj"), WORKLOADS, ids=IDS)
def test_every_pod_meets_pod_security_restricted(env: str, obj: Obj) -> None:
    assert pod_security_violations(obj) == []


def test_the_pod_security_check_catches_a_root_privileged_pod() -> None:
    bad = copy.deepcopy(next(o for o in objects("staging") if o["kind"] == "Deployment"))
    c = bad["spec"]["template"]["spec"]["containers"][0]
    c["securityContext"] = {"privileged": True, "runAsNonRoot": False, "capabilities": {"add": ["SYS_ADMIN"]}}
    bad["spec"]["template"]["spec"]["securityContext"].pop("seccompProfile")
    found = " ".join(pod_security_violations(bad))
    for word in ("runAsNonRoot", "allowPrivilegeEscalation", "privileged", "drop ALL", "adds", "seccomp"):
        assert word in found


@pytest.mark.parametrize(("env", "obj"), WORKLOADS, ids=IDS)
def test_every_container_sets_requests_and_limits(env: str, obj: Obj) -> None:
    for c in containers(obj):
        for part in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c.get("resources", {}).get(part, {})), f"{c['name']} {part}"


@pytest.mark.parametrize(("env", "obj"), WORKLOADS, ids=IDS)
def test_every_image_is_pinned(env: str, obj: Obj) -> None:
    for c in containers(obj):
        image = c["image"]
        name, _, tag = image.rpartition(":")
        assert name, f"{image}: no tag"
        assert "/" not in tag, f"{image}: no tag"
        assert tag != "latest", image
        assert c.get("imagePullPolicy") == "IfNotPresent"


@pytest.mark.parametrize("env", ENVS)
def test_long_running_pods_have_probes_rolling_updates_and_a_disruption_budget(env: str) -> None:
    deployments = [o for o in objects(env) if o["kind"] == "Deployment"]
    pdbs = [o for o in objects(env) if o["kind"] == "PodDisruptionBudget"]
    budgets = {o["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for o in pdbs}
    assert len(deployments) == 4
    for d in deployments:
        for c in d["spec"]["template"]["spec"]["containers"]:
            assert "livenessProbe" in c, d["metadata"]["name"]
            assert "readinessProbe" in c, d["metadata"]["name"]
        name = d["metadata"]["name"]
        if name in SERVERS:
            rolling = {"maxSurge": 1, "maxUnavailable": 0}
            assert d["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": rolling}
            (c,) = d["spec"]["template"]["spec"]["containers"]
            assert c["livenessProbe"]["httpGet"]["path"] == "/health/live"
            assert c["readinessProbe"]["httpGet"]["path"] == "/health/ready"
            assert c["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
            annotations = d["spec"]["template"]["metadata"]["annotations"]
            assert annotations["prometheus.io/scrape"] == "true"
            assert name in budgets


@pytest.mark.parametrize("env", ENVS)
def test_namespaces_enforce_pod_security_restricted(env: str) -> None:
    namespaces = [o for o in objects(env) if o["kind"] == "Namespace"]
    assert [n["metadata"]["name"] for n in namespaces] == [f"fortress-{env}"]
    labels = namespaces[0]["metadata"]["labels"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    for obj in objects(env):
        if obj["kind"] not in ("Namespace", "Schedule"):
            assert obj["metadata"]["namespace"] == f"fortress-{env}", object_id(env, obj)


@pytest.mark.parametrize("env", ENVS)
def test_default_deny_and_only_named_allows(env: str) -> None:
    policies = {o["metadata"]["name"]: o["spec"] for o in objects(env) if o["kind"] == "NetworkPolicy"}
    deny = policies["default-deny-all"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for name, spec in policies.items():
        for rule in spec.get("ingress", []) + spec.get("egress", []):
            assert rule.get("ports"), f"{name}: a rule without ports allows every port"
            peers = rule.get("from", rule.get("to"))
            assert peers, f"{name}: a rule without peers allows everyone"
    # Model servers: nothing but DNS and the in-cluster MLflow server.
    egress = policies["model-server-egress"]["egress"]
    mlflow = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "fortress-mlflow"}}}
    assert egress == [{"to": [mlflow], "ports": [{"protocol": "TCP", "port": 5000}]}]
    gateway_ports = {p["port"] for rule in policies["gateway-egress"]["egress"] for p in rule["ports"]}
    assert gateway_ports == {8500, 8501, 6379, 5000, 5432, 9092, 9094}


@pytest.mark.parametrize("env", ENVS)
def test_no_workload_is_scaled_by_both_an_hpa_and_a_scaled_object(env: str) -> None:
    def targets(kind: str) -> set[str]:
        return {o["spec"]["scaleTargetRef"]["name"] for o in objects(env) if o["kind"] == kind}

    hpa, keda = targets("HorizontalPodAutoscaler"), targets("ScaledObject")
    assert hpa & keda == set()
    assert set(SERVERS) <= hpa | keda, "both servers autoscale"
    deployments = {o["metadata"]["name"] for o in objects(env) if o["kind"] == "Deployment"}
    assert (hpa | keda) <= deployments, "a scaler targets a Deployment that is not rendered"


def test_staging_hpa_is_the_blueprints() -> None:
    for hpa in (o for o in objects("staging") if o["kind"] == "HorizontalPodAutoscaler"):
        metrics = {m["type"]: m for m in hpa["spec"]["metrics"] if m["type"] == "Pods"}
        resources = {
            m["resource"]["name"]: m["resource"]["target"]["averageUtilization"]
            for m in hpa["spec"]["metrics"]
            if m["type"] == "Resource"
        }
        assert resources == {"cpu": 60, "memory": 70}
        assert metrics["Pods"]["pods"]["target"] == {"type": "AverageValue", "averageValue": "100"}
        behavior = hpa["spec"]["behavior"]
        assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 30
        assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 300


def exported_metric_names() -> set[str]:
    """Every metric family name the code defines (metric constructors' first string argument)."""
    pattern = re.compile(r"(?:Fast)?(?:Counter|Gauge|Histogram|Summary)\(\s*\"([a-z_:][a-z0-9_:]*)\"")
    names: set[str] = set()
    for path in (REPO / "src" / "fortress").rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def family(series: str) -> str:
    return re.sub(r"_(bucket|count|sum|total)$", "", series)


def test_every_metric_a_scaler_reads_is_exported_by_the_code() -> None:
    exported = {family(n) for n in exported_metric_names()}
    assert "fortress_gateway_requests" in exported  # the scan finds the code's metrics at all
    queried: set[str] = set()
    for obj in objects("production"):
        if obj["kind"] == "ScaledObject":
            for trigger in obj["spec"]["triggers"]:
                if trigger["type"] == "prometheus":
                    query = trigger["metadata"]["query"]
                    queried.update(re.findall(r"\b((?:ml|fortress)_[a-z0-9_]+)\b", query))
    # The HPA's Pods metrics come from prometheus-adapter rules over these series (docs/DEPLOY.md).
    rules = yaml.safe_load(
        (REPO / "deploy" / "k8s" / "cluster" / "prometheus-adapter-rules.yaml").read_text()
    )
    adapter = {r["name"]["as"]: r["seriesQuery"].split("{", 1)[0] for r in rules["rules"]["custom"]}
    for hpa in (o for o in objects("staging") if o["kind"] == "HorizontalPodAutoscaler"):
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] == "Pods":
                queried.add(adapter[metric["pods"]["metric"]["name"]])
    assert len(queried) >= 4
    missing = sorted(name for name in queried if family(name) not in exported)
    assert missing == []


def fortress_commands(obj: Obj) -> list[list[str]]:
    """The `fortress …` invocations of a workload: images whose entrypoint is `fortress` take args."""
    found = []
    for c in containers(obj):
        if c.get("command") is None and "fortress-" in c["image"]:
            found.append([arg for arg in c["args"] if not arg.startswith("-")][:2])
    return found


def test_every_fortress_command_in_the_manifests_exists(tmp_path: Path) -> None:
    commands = {tuple(cmd) for env in ENVS for obj in workloads(env) for cmd in fortress_commands(obj)}
    # `up` and `serve` take no subcommand: their first positional is an option value, dropped below.
    normalised = {cmd[:1] if cmd[0] in ("up", "serve") else cmd for cmd in commands}
    assert {("up",), ("serve",), ("backup", "create"), ("drift", "analyze")} <= normalised
    for cmd in sorted(normalised):
        result = fortress(tmp_path, *cmd, "--help", timeout=120)
        assert result.returncode == 0, (cmd, result.stderr[-2000:])
    assert fortress(tmp_path, "backup", "no-such-command", "--help", timeout=120).returncode != 0


@pytest.mark.parametrize(("env", "obj"), WORKLOADS, ids=IDS)
def test_every_fortress_variable_is_a_setting(env: str, obj: Obj) -> None:
    for c in containers(obj):
        names = {e["name"]: "x" for e in c.get("env", [])}
        assert unknown_settings(names) == []


@pytest.mark.parametrize("env", ENVS)
def test_secrets_are_never_literal(env: str) -> None:
    kinds = {o["kind"] for o in objects(env)}
    assert "Secret" not in kinds
    secret_refs: set[str] = set()
    for obj in workloads(env):
        for c in containers(obj):
            for e in c.get("env", []):
                if "value" in e:
                    assert not re.search(r"(?i)password|secret|token", e["name"]), e["name"]
                ref: Any = e.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    secret_refs.add(ref["name"])
        for volume in pod_spec(obj).get("volumes", []):  # type: ignore[union-attr]
            if "secret" in volume:
                secret_refs.add(volume["secret"]["secretName"])
    external = {o["spec"]["target"]["name"] for o in objects(env) if o["kind"] == "ExternalSecret"}
    assert secret_refs <= external, "every Secret a pod reads comes from an ExternalSecret"


def test_rbac_patches_only_named_deployments() -> None:
    for env in ENVS:
        for role in (o for o in objects(env) if o["kind"] in ("Role", "ClusterRole")):
            for rule in role["rules"]:
                assert "*" not in rule["verbs"]
                assert "*" not in rule["resources"]
                writes = set(rule["verbs"]) - {"get", "list", "watch"}
                if writes:
                    assert rule.get("resourceNames"), f"{role['metadata']['name']}: {writes} on every object"
        assert not [o for o in objects(env) if o["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def test_velero_schedule_is_daily_with_30_days_ttl() -> None:
    (schedule,) = [o for o in objects("production") if o["kind"] == "Schedule"]
    assert schedule["metadata"]["namespace"] == "velero"
    assert schedule["spec"]["schedule"] == "0 2 * * *"
    assert schedule["spec"]["template"]["ttl"] == "720h0m0s"
    assert schedule["spec"]["template"]["includedNamespaces"] == ["fortress-production"]


def test_cron_jobs_run_every_six_hours() -> None:
    for env in ENVS:
        jobs = {o["metadata"]["name"]: o["spec"]["schedule"] for o in objects(env) if o["kind"] == "CronJob"}
        assert set(jobs) == {"fortress-backup", "fortress-drift"}
        for schedule in jobs.values():
            assert schedule.split()[1] == "*/6"


def test_kubectl_renders_the_same_as_fortress_deploy_render() -> None:
    from fortress.deploy.render import find_kubectl

    overlay = REPO / "deploy" / "k8s" / "overlays" / "production"
    command = [find_kubectl(), "kustomize", str(overlay)]
    direct = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)

    assert tuple(d for d in yaml.safe_load_all(direct.stdout) if d) == objects("production")


def test_eksctl_cluster_has_the_node_groups_the_pods_select() -> None:
    config = yaml.safe_load((REPO / "deploy" / "eksctl" / "cluster.yaml").read_text(encoding="utf-8"))
    assert config["apiVersion"] == "eksctl.io/v1alpha5"
    assert config["kind"] == "ClusterConfig"
    groups = {g["name"]: g for g in config["managedNodeGroups"]}
    assert set(groups) == {"cpu-inference", "gpu-inference", "memory-optimized"}
    for group in groups.values():
        assert group["minSize"] <= group["desiredCapacity"] <= group["maxSize"]
        assert isinstance(group["instanceType"], str)
    assert groups["gpu-inference"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    ]
    labels = [g["labels"] for g in groups.values()]
    for env in ENVS:
        for obj in workloads(env):
            selector = pod_spec(obj).get("nodeSelector")  # type: ignore[union-attr]
            if selector:
                assert any(selector.items() <= group.items() for group in labels), object_id(env, obj)


@pytest.mark.parametrize(("env", "obj"), WORKLOADS, ids=IDS)
def test_secret_volumes_are_readable_by_the_pods_group(env: str, obj: Obj) -> None:
    """Secret files are owned by root with the pod's fsGroup: a non-root pod reads them only through
    the group bits (0400 would leave uid 10001 unable to open its own key)."""
    spec = pod_spec(obj)
    assert spec is not None
    for volume in spec.get("volumes", []):
        if "secret" in volume:
            assert spec["securityContext"].get("fsGroup"), volume["name"]
            assert volume["secret"].get("defaultMode", 0o644) & 0o040, volume["name"]


@pytest.mark.parametrize(("env", "obj"), WORKLOADS, ids=IDS)
def test_fortress_variables_parse_into_settings(env: str, obj: Obj) -> None:
    for c in containers(obj):
        nested: dict[str, Any] = {}
        for e in c.get("env", []):
            if not e["name"].startswith("FORTRESS_") or "value" not in e:
                continue
            value = re.sub(r"\$\((\w+)\)", "placeholder", e["value"])  # Kubernetes' $(VAR) expansion
            node = nested
            *parents, leaf = e["name"].removeprefix("FORTRESS_").lower().split("__")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
        Settings.model_validate(nested)


@pytest.mark.parametrize("env", ENVS)
def test_no_disruption_budget_blocks_every_eviction(env: str) -> None:
    replicas = {
        o["metadata"]["name"]: o["spec"]["replicas"] for o in objects(env) if o["kind"] == "Deployment"
    }
    for o in objects(env):
        if o["kind"] in ("HorizontalPodAutoscaler", "ScaledObject"):
            name = o["spec"]["scaleTargetRef"]["name"]
            replicas[name] = o["spec"].get("minReplicas", o["spec"].get("minReplicaCount", replicas[name]))
    for pdb in (o for o in objects(env) if o["kind"] == "PodDisruptionBudget"):
        name = pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]
        if "maxUnavailable" in pdb["spec"]:
            assert pdb["spec"]["maxUnavailable"] >= 1, name
        else:
            assert replicas[name] > pdb["spec"]["minAvailable"], f"{name}: a drain could never evict a pod"
