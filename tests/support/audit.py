"""Audit events for tests."""

from __future__ import annotations

from fortress.gateway.events.base import AuditEvent


def make_event(n: int = 0, key: str = "inv-1") -> AuditEvent:
    """Event ``n``: the same ``n`` gives the same content (``event_id`` included)."""
    return AuditEvent(
        event_id=f"{n:032x}",
        timestamp=1_700_000_000.25 + n,
        investigation_id=key,
        caller="key-7f3a",
        models={"flow_gbdt": 3, "dns_cnn": 12},
        verdict="malicious" if n % 3 == 0 else "benign",
        risk=(n % 100) / 100,
        degraded=n % 2 == 1,
        cached=n % 5 == 0,
        latency_ms=4.75,
    )
