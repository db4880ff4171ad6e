"""Quality gates, read from the versioned ``configs/performance_thresholds.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from fortress.errors import GateFailed, InvalidInput


@dataclass(frozen=True, slots=True)
class Gate:
    metric: str
    threshold: float


@dataclass(frozen=True, slots=True)
class GateBook:
    version: str
    gates: dict[str, Gate]

    def gate_for(self, model: str) -> Gate:
        try:
            return self.gates[model]
        except KeyError:
            raise InvalidInput(f"no quality gate for model {model!r} in the thresholds file") from None

    def check(self, model: str, metrics: dict[str, float]) -> Gate:
        gate = self.gate_for(model)
        if gate.metric not in metrics:
            raise InvalidInput(f"{model}: gate metric {gate.metric!r} was not computed")
        if metrics[gate.metric] < gate.threshold:
            raise GateFailed(model, gate.metric, metrics[gate.metric], gate.threshold)
        return gate


def load_gates(path: Path) -> GateBook:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"thresholds file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise InvalidInput(f"thresholds file {path} is not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("models"), dict):
        raise InvalidInput(f"thresholds file {path}: expected a 'models' mapping")
    gates: dict[str, Gate] = {}
    for name, entry in raw["models"].items():
        try:
            gates[str(name)] = Gate(str(entry["metric"]), float(entry["threshold"]))
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(f"thresholds file {path}: model {name!r} needs metric and threshold") from None
    return GateBook(str(raw.get("version", "unversioned")), gates)
