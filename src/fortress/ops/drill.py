"""``fortress dr drill``: restore a backup into a fresh home, resolve every champion there, start a
gateway on it, replay the backup's investigations and require the same answers; time every phase.

RTO phases (seconds, each from the end of the previous one): ``restore`` (verify + stage + swap),
``registry_resolve`` (every champion resolved and its artifacts fetched from the restored home),
``gateway_ready`` (process started until ``/health/ready``), ``first_correct_answer`` (until the first
investigation's answer equals the backup's). RPO: the drill's start minus the backup's creation time.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fortress.ops.backup import INVESTIGATIONS_FILE
from fortress.ops.fingerprint import answer_digest, digest
from fortress.ops.restore import restore
from fortress.ops.stores.base import Store, Target
from fortress.registry.base import CHAMPION, ModelRegistry


@dataclass(frozen=True, slots=True)
class Gateway:
    url: str
    headers: dict[str, str]


Serve = Callable[[Path, str], AbstractContextManager[Gateway]]
"""(restored home, its tracking URI) -> a running gateway on it, stopped on exit."""


@dataclass
class DrillReport:
    backup_id: str
    backup_created: str
    rpo_s: float
    phases: dict[str, float] = field(default_factory=dict)
    expected: dict[str, Any] = field(default_factory=dict)
    actual: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    started: str = ""
    machine: str = field(
        default_factory=lambda: f"{platform.node()} {platform.machine()} {platform.processor()}"
    )

    @property
    def passed(self) -> bool:
        return not self.problems and self.expected.get("digest") == self.actual.get("digest")

    @property
    def rto_s(self) -> float:
        return sum(self.phases.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "backup_id": self.backup_id,
            "backup_created": self.backup_created,
            "started": self.started,
            "rpo_s": round(self.rpo_s, 3),
            "rto_s": round(self.rto_s, 3),
            "phases_s": {k: round(v, 3) for k, v in self.phases.items()},
            "fingerprint": {
                "expected": self.expected.get("digest"),
                "actual": self.actual.get("digest"),
                "identical": self.expected.get("digest") == self.actual.get("digest"),
            },
            "champions": {
                "expected": self.expected.get("champions"),
                "restored": self.actual.get("champions"),
            },
            "problems": self.problems,
            "machine": self.machine,
        }


class Phases:
    def __init__(self, report: DrillReport, say: Callable[[str], None]) -> None:
        self.report, self.say, self.mark = report, say, time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.report.phases[name] = now - self.mark
        self.mark = now
        self.say(f"{name}: {self.report.phases[name]:.2f} s (RTO so far {self.report.rto_s:.2f} s)")


def run_drill(
    folder: Path,
    target: Target,
    stores: Sequence[Store],
    open_registry: Callable[[Path, str], ModelRegistry],
    serve: Serve,
    say: Callable[[str], None] = lambda _: None,
    answer_timeout_s: float = 60.0,
) -> DrillReport:
    started = time.time()
    restored = restore(folder, target, stores)
    manifest = restored.manifest
    report = DrillReport(
        manifest.backup_id, manifest.created_iso, started - manifest.created_at,
        started=datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )  # fmt: skip
    report.phases["restore"] = restored.seconds
    say(f"restore: {restored.seconds:.2f} s (backup {manifest.backup_id}, RPO {report.rpo_s:.0f} s)")
    phases = Phases(report, say)
    expected = manifest.fingerprint
    report.expected = {"digest": expected["digest"], "champions": expected["champions"]}
    registry = open_registry(restored.home, target.tracking_uri)
    champions = {}
    for name in expected["champions"]:
        try:
            champions[name] = registry.fetch(name, CHAMPION).info.version
        except Exception as exc:  # any failure to resolve is a failed drill, reported by name
            report.problems.append(f"{name}@{CHAMPION} does not resolve in the restored registry: {exc}")
    report.actual["champions"] = champions
    if champions != expected["champions"]:
        report.problems.append(
            f"restored champions {champions} differ from the backup's {expected['champions']}"
        )
    phases.done("registry_resolve")
    investigations = json.loads((folder / INVESTIGATIONS_FILE).read_text(encoding="utf-8"))
    if not investigations:
        report.problems.append("the backup's fingerprint covers no champion: nothing to prove")
        return report
    with serve(restored.home, target.tracking_uri) as gateway:
        phases.done("gateway_ready")
        answers: list[str] = []
        for got in _replay(gateway, investigations, expected["answers"], answer_timeout_s, report):
            if not answers:
                phases.done("first_correct_answer")
            answers.append(got)
    report.actual["digest"] = digest(answers) if len(answers) == len(investigations) else None
    if report.actual["digest"] != expected["digest"] and not report.problems:
        report.problems.append("the restored gateway's answers differ from the backup's fingerprint")
    return report


def _replay(
    gateway: Gateway,
    investigations: list[dict[str, Any]],
    expected: list[str],
    timeout: float,
    report: DrillReport,
) -> Iterator[str]:
    """Each answer's digest; the first investigation is retried while the answer is degraded (models
    still loading), up to ``timeout``."""
    import httpx

    with httpx.Client(base_url=gateway.url, headers=gateway.headers, timeout=30.0) as client:
        for i, investigation in enumerate(investigations):
            deadline = time.monotonic() + timeout
            while True:
                response = client.post("/api/v1/inference", json=investigation)
                if response.status_code != 200:
                    report.problems.append(
                        f"investigation {i}: HTTP {response.status_code} {response.text[:200]}"
                    )
                    return
                body = response.json()
                if i > 0 or not body.get("degraded") or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            got = answer_digest(body)
            if i < len(expected) and got != expected[i]:
                report.problems.append(
                    f"investigation {investigation.get('investigation_id', i)}: "
                    "the answer differs from the backup's"
                )
            yield got
