"""network_analyzer stand-in: CIC-IDS2017-like flow statistics of one host's flows.

Each flow is drawn from an archetype (benign web, DNS, SSH/RDP/SMB sessions, keep-alives; DoS
Hulk, slow HTTP, DDoS, port scans, FTP/SSH brute force, botnet beacons, web attacks) that sets its
port, protocol, packet counts and sizes, duration and TCP flags. The derived rates (bytes/s,
inter-arrival times, average packet size...) are computed from those, as CICFlowMeter does. Web
attacks look like browsing and keep-alives look like beacons, so the classes overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fortress.catalog.fields import HOST_ACTIVITY_FIELDS
from fortress.datasets.simulator.base import FloatArray, Sample, counts, flip_binary, frame, lognormal, pick

PROTOCOLS = ("6", "17", "0")  # TCP, UDP, and CICFlowMeter's 0 for flows it could not type


@dataclass(frozen=True, slots=True)
class _Flow:
    weight: float
    malicious: bool
    ports: tuple[int, ...]  # empty: a random port in 1..65535
    protocol: int  # index into PROTOCOLS
    fwd_packets: float  # mean of the extra packets after the first
    bwd_packets: float
    fwd_size: float  # median payload bytes per packet
    bwd_size: float
    duration_us: float  # median
    duration_sigma: float
    flags: tuple[float, float, float, float]  # P(fin), P(syn), P(rst), P(psh)
    windows: tuple[int, ...]  # initial TCP window sizes (-1: not seen)


_SSH_RDP_SMB = (22, 3389, 445, 139, 8080, 123, 137)
_KEEPALIVE = (443, 80, 5228, 993)
_WEB_WIN = (29200, 65535, 8192)
# Benign: web, DNS, sessions, keep-alives, untyped. Malicious: DoS Hulk, slow HTTP, DDoS, port scan,
# FTP/SSH brute force, botnet beacons, web attacks.
_ARCHETYPES = (
    _Flow(0.30, False, (443, 80), 0, 12, 14, 120, 900, 3e6, 1.8, (0.8, 0.9, 0.1, 0.8), _WEB_WIN),
    _Flow(0.15, False, (53,), 1, 0.2, 1, 40, 120, 3e4, 1.2, (0, 0, 0, 0), (-1,)),
    _Flow(
        0.09, False, _SSH_RDP_SMB, 0, 30, 30, 90, 200, 2e7, 2.0, (0.6, 0.8, 0.1, 0.7), (29200, 8192, 64240)
    ),
    _Flow(0.06, False, _KEEPALIVE, 0, 1, 1, 0.5, 0.5, 5e7, 1.0, (0.2, 0.1, 0.1, 0.1), (-1, 256, 1024)),
    _Flow(0.02, False, (0,), 2, 2, 0.3, 0, 0, 1e8, 0.3, (0, 0, 0, 0), (-1,)),
    _Flow(0.09, True, (80,), 0, 4, 4, 60, 2000, 2e4, 2.0, (0.4, 0.5, 0.3, 0.7), (29200, 251, 229)),
    _Flow(0.03, True, (80,), 0, 4, 1, 20, 0, 6e7, 0.6, (0.3, 0.5, 0.1, 0.3), (29200, 229)),
    _Flow(0.06, True, (80,), 0, 3, 2, 2, 1000, 1.5e6, 1.5, (0.3, 0.6, 0.1, 0.6), (8192, 256)),
    _Flow(0.10, True, (), 0, 0.1, 0.3, 0, 0, 60, 1.0, (0, 0.9, 0.8, 0), (1024, 29200, 65535)),
    _Flow(0.04, True, (21, 22), 0, 10, 12, 30, 60, 5e6, 0.8, (0.9, 0.9, 0.2, 0.9), (29200, 26883)),
    _Flow(0.03, True, (8080, 443, 6667), 0, 2, 2, 80, 100, 6e7, 1.2, (0.3, 0.3, 0.2, 0.4), (8192, 29200)),
    _Flow(0.03, True, (80, 443), 0, 6, 6, 500, 700, 5e5, 1.5, (0.8, 0.9, 0.3, 0.9), _WEB_WIN),
)
_MALICIOUS = np.array([a.malicious for a in _ARCHETYPES], dtype=np.int64)


def host_flows(n: int, rng: np.random.Generator) -> Sample:
    """Flow records; about 38 % malicious."""
    kind = pick(rng, [a.weight for a in _ARCHETYPES], n)
    columns = {name: np.zeros(n) for name in HOST_ACTIVITY_FIELDS}
    protocol = np.empty(n, dtype=object)
    for k, flow in enumerate(_ARCHETYPES):
        rows = np.flatnonzero(kind == k)
        if rows.size:
            for name, values in _draw(flow, rows.size, rng).items():
                columns[name][rows] = values
            protocol[rows] = PROTOCOLS[flow.protocol]
    y = flip_binary(_MALICIOUS[kind], rng, 0.015, 0.004)
    return Sample(frame({**columns, "protocol": protocol}, (*HOST_ACTIVITY_FIELDS, "protocol")), y)


def _draw(flow: _Flow, m: int, rng: np.random.Generator) -> dict[str, FloatArray]:
    ports = rng.integers(1, 65536, m) if not flow.ports else rng.choice(flow.ports, m)
    fwd = 1.0 + counts(rng, flow.fwd_packets, 1.5, m)
    bwd = counts(rng, flow.bwd_packets, 1.5, m)
    fwd_mean = np.floor(lognormal(rng, flow.fwd_size + 1.0, 0.6, m) - 1.0).clip(0)
    bwd_mean = np.where(bwd > 0, np.floor(lognormal(rng, flow.bwd_size + 1.0, 0.6, m) - 1.0).clip(0), 0.0)
    fwd_total, bwd_total = fwd * fwd_mean, bwd * bwd_mean
    duration = np.maximum(1.0, np.floor(lognormal(rng, flow.duration_us, flow.duration_sigma, m)))
    packets = fwd + bwd
    iat = duration / np.maximum(packets - 1.0, 1.0)
    spread = lognormal(rng, 2.0, 0.6, m)
    tcp = flow.protocol == 0
    fin, syn, rst, psh = (np.asarray(rng.random(m) < p, dtype=np.float64) for p in flow.flags)
    long_lived = duration > 5e6
    return {
        "dst_port": ports.astype(np.float64),
        "flow_duration": duration,
        "total_fwd_packet": fwd,
        "total_bwd_packets": bwd,
        "total_length_of_fwd_packet": fwd_total,
        "total_length_of_bwd_packet": bwd_total,
        "fwd_packet_length_max": np.floor(fwd_mean * np.minimum(spread, fwd)),
        "fwd_packet_length_mean": fwd_mean,
        "bwd_packet_length_max": np.floor(bwd_mean * np.minimum(spread, np.maximum(bwd, 1.0))),
        "bwd_packet_length_mean": bwd_mean,
        "flow_bytes_s": (fwd_total + bwd_total) / duration * 1e6,
        "flow_packets_s": packets / duration * 1e6,
        "flow_iat_mean": iat,
        "flow_iat_max": np.minimum(duration, iat * spread),
        "fwd_iat_mean": np.where(fwd > 1, duration / np.maximum(fwd - 1.0, 1.0), 0.0),
        "bwd_iat_mean": np.where(bwd > 1, duration / np.maximum(bwd - 1.0, 1.0), 0.0),
        "fin_flag_count": fin * (1.0 + (rng.random(m) < 0.5)),
        "syn_flag_count": syn * (1.0 + (bwd > 0)),
        "rst_flag_count": rst,
        "psh_flag_count": psh * np.minimum(fwd, 1.0 + counts(rng, 2.0, 1.0, m)),
        "ack_flag_count": np.where(tcp, np.maximum(packets - 1.0, 0.0), 0.0) * (rng.random(m) < 0.9),
        "down_up_ratio": np.floor(bwd / fwd),
        "average_packet_size": (fwd_total + bwd_total) / packets,
        "fwd_init_win_bytes": np.asarray(rng.choice(flow.windows, m), dtype=np.float64),
        "bwd_init_win_bytes": np.where(
            bwd > 0, np.asarray(rng.choice(flow.windows, m), dtype=np.float64), -1.0
        ),
        "active_mean": np.where(long_lived, lognormal(rng, 1e5, 1.5, m), 0.0),
        "idle_mean": np.where(long_lived, duration * rng.uniform(0.3, 0.9, m), 0.0),
    }
