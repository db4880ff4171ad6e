"""threat_classifier stand-in: NSL-KDD-like connection records (41 fields, five classes).

Each class is a mix of archetypes modelled on the attacks in KDD'99 (neptune and smurf floods, port
and address sweeps, password guessing, warez uploads, buffer overflows). Normal traffic includes
failed and rejected connections, retry storms and ICMP, so a flood, a scan and a flaky client overlap;
3 % of the labels are replaced by another class.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from fortress.catalog.fields import NSL_KDD_FIELDS, NSL_KDD_SYMBOLIC
from fortress.datasets.simulator.base import (
    FloatArray,
    Sample,
    beta_mean,
    counts,
    flip_multiclass,
    frame,
    lognormal,
    mixture,
    strings,
)

Columns = dict[str, npt.ArrayLike]
_Archetype = Callable[[int, np.random.Generator], Columns]

_COMMON_SERVICES = ("http", "smtp", "ftp_data", "ftp", "private", "domain_u", "telnet", "other", "ssh")
_MANY_SERVICES = (*_COMMON_SERVICES, "pop_3", "finger", "imap4", "auth", "sunrpc", "X11", "IRC", "whois")


def _rate(rng: np.random.Generator, mean: float, m: int, concentration: float = 8.0) -> FloatArray:
    """A rate rounded to two decimals like NSL-KDD's, with exact zeros / ones most of the time."""
    value = beta_mean(rng, mean, concentration, m)
    snap = rng.random(m) < 0.6
    return np.asarray(np.round(np.where(snap, np.round(value), value), 2), dtype=np.float64)


def _window(
    rng: np.random.Generator, m: int, count: float, same_srv: float, error: float, kind: str
) -> Columns:
    """The 2-second and 100-connection host window statistics."""
    n_count = np.minimum(1.0 + counts(rng, count, 1.2, m), 511.0)
    same = _rate(rng, same_srv, m)
    err = _rate(rng, error, m)
    other = kind == "rerror"
    host_count = np.minimum(1.0 + counts(rng, 150.0 if count > 50 else 60.0, 0.6, m), 255.0)
    return {
        "count": n_count,
        "srv_count": np.maximum(1.0, np.round(n_count * same)),
        "serror_rate": np.zeros(m) if other else err,
        "srv_serror_rate": np.zeros(m) if other else _rate(rng, error, m),
        "rerror_rate": err if other else np.zeros(m),
        "srv_rerror_rate": _rate(rng, error, m) if other else np.zeros(m),
        "same_srv_rate": same,
        "diff_srv_rate": _rate(rng, (1 - same_srv) * 0.6, m),
        "srv_diff_host_rate": _rate(rng, 0.1, m),
        "dst_host_count": host_count,
        "dst_host_srv_count": np.maximum(1.0, np.round(host_count * _rate(rng, same_srv, m))),
        "dst_host_same_srv_rate": _rate(rng, same_srv, m),
        "dst_host_diff_srv_rate": _rate(rng, (1 - same_srv) * 0.5, m),
        "dst_host_same_src_port_rate": _rate(rng, 0.1, m),
        "dst_host_srv_diff_host_rate": _rate(rng, 0.05, m),
        "dst_host_serror_rate": np.zeros(m) if other else _rate(rng, error, m),
        "dst_host_srv_serror_rate": np.zeros(m) if other else _rate(rng, error, m),
        "dst_host_rerror_rate": _rate(rng, error, m) if other else np.zeros(m),
        "dst_host_srv_rerror_rate": _rate(rng, error, m) if other else np.zeros(m),
    }


def _web(m: int, rng: np.random.Generator) -> Columns:
    return {
        **_window(rng, m, 8.0, 0.95, 0.02, "serror"),
        "protocol_type": strings(rng, ("tcp",), m),
        "service": strings(rng, ("http", "http_443", "http_8001"), m, (0.9, 0.07, 0.03)),
        "flag": strings(rng, ("SF", "S0", "REJ", "RSTO"), m, (0.93, 0.03, 0.03, 0.01)),
        "src_bytes": np.floor(lognormal(rng, 230.0, 0.5, m)),
        "dst_bytes": np.floor(lognormal(rng, 2000.0, 1.3, m)),
        "logged_in": (rng.random(m) < 0.97).astype(float),
        "hot": counts(rng, 0.1, 0.5, m),
    }


def _services(m: int, rng: np.random.Generator) -> Columns:
    udp = rng.random(m) < 0.25
    return {
        **_window(rng, m, 12.0, 0.7, 0.08, "rerror"),
        "duration": np.where(rng.random(m) < 0.85, 0.0, np.floor(lognormal(rng, 60.0, 2.0, m))),
        "protocol_type": np.where(udp, "udp", "tcp").astype(object),
        "service": np.where(
            udp, strings(rng, ("domain_u", "ntp_u", "private"), m), strings(rng, _MANY_SERVICES, m)
        ),
        "flag": strings(
            rng, ("SF", "S0", "REJ", "RSTO", "RSTR", "SH"), m, (0.86, 0.04, 0.05, 0.02, 0.02, 0.01)
        ),
        "src_bytes": np.floor(lognormal(rng, 300.0, 1.8, m)),
        "dst_bytes": np.floor(lognormal(rng, 400.0, 2.0, m)) * (rng.random(m) < 0.7),
        "logged_in": (rng.random(m) < 0.6).astype(float),
        "hot": counts(rng, 0.3, 0.3, m),
        "num_file_creations": counts(rng, 0.03, 0.3, m),
        "num_access_files": counts(rng, 0.02, 0.3, m),
    }


def _retry_storm(m: int, rng: np.random.Generator) -> Columns:
    """A client hammering a dead service: normal, yet it looks like the start of a flood or a scan."""
    return {
        **_window(rng, m, 40.0, 0.7, 0.6, "rerror"),
        "protocol_type": strings(rng, ("tcp",), m),
        "service": strings(rng, _COMMON_SERVICES, m),
        "flag": strings(rng, ("S0", "REJ", "RSTO", "SF"), m, (0.4, 0.3, 0.1, 0.2)),
        "src_bytes": np.floor(lognormal(rng, 50.0, 1.5, m)) * (rng.random(m) < 0.3),
    }


def _icmp(m: int, rng: np.random.Generator) -> Columns:
    return {
        **_window(rng, m, 3.0, 0.8, 0.0, "serror"),
        "protocol_type": strings(rng, ("icmp",), m),
        "service": strings(rng, ("eco_i", "ecr_i", "urp_i", "tim_i"), m, (0.35, 0.4, 0.2, 0.05)),
        "flag": strings(rng, ("SF",), m),
        "src_bytes": np.floor(lognormal(rng, 40.0, 1.0, m)),
    }


def _neptune(m: int, rng: np.random.Generator) -> Columns:
    window = _window(rng, m, 150.0, 0.06, 0.95, "serror")
    return {
        **window,
        "protocol_type": strings(rng, ("tcp",), m),
        "service": strings(rng, _MANY_SERVICES, m),
        "flag": strings(rng, ("S0", "REJ", "SH"), m, (0.8, 0.17, 0.03)),
        "dst_host_srv_count": np.minimum(window["dst_host_count"], 1.0 + counts(rng, 15.0, 2.0, m)),
    }


def _smurf(m: int, rng: np.random.Generator) -> Columns:
    return {
        **_window(rng, m, 400.0, 1.0, 0.0, "serror"),
        "protocol_type": strings(rng, ("icmp",), m),
        "service": strings(rng, ("ecr_i", "eco_i"), m, (0.9, 0.1)),
        "flag": strings(rng, ("SF",), m),
        "src_bytes": np.asarray(rng.choice([520.0, 1032.0], m)),
        "dst_host_same_src_port_rate": _rate(rng, 0.9, m),
    }


def _back_teardrop(m: int, rng: np.random.Generator) -> Columns:
    back = rng.random(m) < 0.5
    return {
        **_window(rng, m, 10.0, 0.9, 0.05, "serror"),
        "protocol_type": np.where(back, "tcp", "udp").astype(object),
        "service": np.where(back, "http", "private").astype(object),
        "flag": strings(rng, ("SF", "RSTR"), m, (0.9, 0.1)),
        "src_bytes": np.where(back, 54540.0, 28.0) * lognormal(rng, 1.0, 0.05, m),
        "dst_bytes": np.where(back, 8314.0, 0.0),
        "wrong_fragment": np.where(back, 0.0, 3.0),
        "hot": np.where(back, 2.0, 0.0),
        "logged_in": back.astype(float),
    }


def _scan(m: int, rng: np.random.Generator) -> Columns:
    window = _window(rng, m, 6.0, 0.15, 0.8, "rerror")
    return {
        **window,
        "protocol_type": strings(rng, ("tcp", "udp"), m, (0.9, 0.1)),
        "service": strings(rng, (*_MANY_SERVICES, "private", "other"), m),
        "flag": strings(
            rng, ("REJ", "RSTO", "RSTR", "SH", "SF", "S0"), m, (0.4, 0.2, 0.15, 0.08, 0.12, 0.05)
        ),
        "src_bytes": np.floor(lognormal(rng, 2.0, 1.5, m)) * (rng.random(m) < 0.3),
        "dst_host_diff_srv_rate": _rate(rng, 0.7, m),
        "dst_host_same_src_port_rate": _rate(rng, 0.6, m),
    }


def _ipsweep(m: int, rng: np.random.Generator) -> Columns:
    return {
        **_window(rng, m, 2.0, 0.9, 0.0, "serror"),
        "protocol_type": strings(rng, ("icmp",), m),
        "service": strings(rng, ("eco_i", "ecr_i"), m, (0.85, 0.15)),
        "flag": strings(rng, ("SF",), m),
        "src_bytes": np.asarray(rng.choice([8.0, 18.0, 20.0], m)),
        "srv_diff_host_rate": _rate(rng, 0.9, m),
        "dst_host_srv_diff_host_rate": _rate(rng, 0.6, m),
    }


def _guess_passwd(m: int, rng: np.random.Generator) -> Columns:
    return {
        **_window(rng, m, 2.0, 0.9, 0.2, "rerror"),
        "duration": np.floor(lognormal(rng, 3.0, 1.0, m)),
        "protocol_type": strings(rng, ("tcp",), m),
        "service": strings(rng, ("telnet", "ftp", "pop_3", "imap4", "ssh"), m),
        "flag": strings(rng, ("SF", "RSTO"), m, (0.6, 0.4)),
        "src_bytes": np.floor(lognormal(rng, 125.0, 0.4, m)),
        "dst_bytes": np.floor(lognormal(rng, 180.0, 0.5, m)),
        "num_failed_logins": 1.0 + counts(rng, 0.3, 1.0, m) * (rng.random(m) < 0.8),
        "hot": counts(rng, 0.5, 1.0, m),
    }


def _warez(m: int, rng: np.random.Generator) -> Columns:
    return {
        **_window(rng, m, 2.0, 0.8, 0.0, "serror"),
        "duration": np.floor(lognormal(rng, 300.0, 1.5, m)),
        "protocol_type": strings(rng, ("tcp",), m),
        "service": strings(rng, ("ftp_data", "ftp", "http"), m, (0.6, 0.3, 0.1)),
        "flag": strings(rng, ("SF", "RSTO"), m, (0.9, 0.1)),
        "src_bytes": np.floor(lognormal(rng, 3e5, 1.5, m)),
        "dst_bytes": np.floor(lognormal(rng, 2000.0, 1.5, m)),
        "logged_in": np.ones(m),
        "is_guest_login": (rng.random(m) < 0.6).astype(float),
        "hot": counts(rng, 15.0, 1.0, m),
        "num_access_files": counts(rng, 0.3, 0.5, m),
    }


def _root(m: int, rng: np.random.Generator) -> Columns:
    return {
        **_window(rng, m, 1.5, 0.9, 0.0, "serror"),
        "duration": np.floor(lognormal(rng, 90.0, 1.2, m)),
        "protocol_type": strings(rng, ("tcp",), m),
        "service": strings(rng, ("telnet", "ftp_data", "ftp", "other"), m, (0.6, 0.2, 0.1, 0.1)),
        "flag": strings(rng, ("SF",), m),
        "src_bytes": np.floor(lognormal(rng, 1500.0, 1.2, m)),
        "dst_bytes": np.floor(lognormal(rng, 4000.0, 1.2, m)),
        "logged_in": np.ones(m),
        "hot": 1.0 + counts(rng, 1.5, 1.0, m),
        "root_shell": (rng.random(m) < 0.6).astype(float),
        "su_attempted": (rng.random(m) < 0.05).astype(float),
        "num_root": counts(rng, 1.0, 0.5, m),
        "num_compromised": counts(rng, 1.0, 0.5, m),
        "num_file_creations": counts(rng, 1.2, 1.0, m),
        "num_shells": (rng.random(m) < 0.4).astype(float),
    }


# (class index, weight, archetype): normal 50 %, dos 30 %, probe 12 %, r2l 6 %, u2r 2 %.
_ARCHETYPES: tuple[tuple[int, float, _Archetype], ...] = (
    (0, 0.27, _web),
    (0, 0.16, _services),
    (0, 0.03, _retry_storm),
    (0, 0.04, _icmp),
    (1, 0.18, _neptune),
    (1, 0.07, _smurf),
    (1, 0.05, _back_teardrop),
    (2, 0.08, _scan),
    (2, 0.04, _ipsweep),
    (3, 0.03, _guess_passwd),
    (3, 0.03, _warez),
    (4, 0.02, _root),
)


def kdd_connections(n: int, rng: np.random.Generator) -> Sample:
    """Connection records labelled normal / dos / probe / r2l / u2r."""
    columns: dict[str, np.ndarray] = {
        name: np.empty(n, dtype=object) if name in NSL_KDD_SYMBOLIC else np.zeros(n)
        for name in NSL_KDD_FIELDS
    }
    y = mixture(n, rng, _ARCHETYPES, columns)
    return Sample(frame(columns, NSL_KDD_FIELDS), flip_multiclass(y, rng, 0.03, 5))
