"""Raw event histories for the feature store: accounts, user activity, logins, network sessions.

Unlike the task generators (one aggregated row per example), this draws *events with timestamps*
over ``days`` days ending at ``end``: what a SIEM would hand the feature pipeline. Users have a role
(office, developer, admin, sales, analyst) that sets their baseline; about 10 % of users turn
anomalous on some day (exfiltration, compromised account, automation) with an intensity drawn per
user, so mild anomalies overlap busy legitimate roles; their activity events from then on carry
``anomalous = 1``. About 2.5 % of successful logins are account takeovers (credential stuffing from a
bad range, mostly abroad, after failed attempts; or a phished session from a new device on a
residential address at home) and carry ``takeover = 1``; travellers and new devices are the
legitimate look-alikes. Investigations group network sessions; about 30 % are malicious (bad IP
ranges, remote-admin ports, unusual protocols, risky countries, large uploads). Seeded: the same
seed and ``end`` always give the same history."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import numpy as np
import pandas as pd

from fortress.errors import InvalidInput

EVENT_TYPE = "event_type"
COLUMNS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "account": ("user_id", "event_timestamp", "role", "home_country"),
        "activity": (
            "user_id", "event_timestamp", "session_minutes", "ip", "device_id", "actions",
            "failed_actions", "download_mb", "privileged_actions", "new_resources", "api_calls",
            "anomalous",
        ),
        "login": (
            "user_id", "event_timestamp", "ip", "country", "latitude", "longitude", "device_id",
            "user_agent", "auth_method", "mfa_used", "success", "takeover",
        ),
        "network_session": (
            "investigation_id", "user_id", "event_timestamp", "src_ip", "dst_port", "protocol",
            "country", "bytes_out", "bytes_in", "malicious",
        ),
    }
)  # fmt: skip
"""Columns of each event type; ``anomalous``, ``takeover`` and ``malicious`` are ground truth."""
_INTEGER_COLUMNS = frozenset({"actions", "failed_actions", "privileged_actions", "new_resources",
    "api_calls", "anomalous", "mfa_used", "success", "takeover", "dst_port", "malicious"})  # fmt: skip

ROLES = ("office", "developer", "admin", "sales", "analyst")
_ROLE_P = np.array([0.55, 0.15, 0.07, 0.10, 0.13])
_SESSIONS = np.array([4.0, 8.0, 6.0, 3.0, 5.0])  # per day
_MINUTES = np.array([35.0, 60.0, 25.0, 20.0, 50.0])
_DOWNLOAD = np.array([12.0, 25.0, 14.0, 10.0, 80.0])  # MB per session
_AFTER_HOURS = np.array([0.06, 0.18, 0.14, 0.12, 0.08])
_PRIVILEGED = np.array([0.05, 0.3, 4.0, 0.03, 0.1])  # per session
_API_PER_HOUR = np.array([5.0, 60.0, 30.0, 3.0, 20.0])
_FAIL_RATE = np.array([0.02, 0.04, 0.03, 0.02, 0.02])
_NEW_RATE = np.array([0.05, 0.1, 0.08, 0.06, 0.12])
COUNTRY_COORDS: MappingProxyType[str, tuple[float, float]] = MappingProxyType(
    {"US": (39.8, -98.6), "GB": (54.0, -2.0), "DE": (51.2, 10.4), "FR": (46.2, 2.2), "NL": (52.1, 5.3),
     "ES": (40.4, -3.7), "IE": (53.4, -8.2), "BR": (-14.2, -51.9), "IN": (20.6, 79.0), "RO": (45.9, 24.9),
     "NG": (9.1, 8.7), "CN": (35.9, 104.2), "RU": (61.5, 105.3), "IR": (32.4, 53.7)}
)  # fmt: skip
_HOME = ("US", "GB", "DE", "FR", "NL", "ES", "IE")
_RISKY = ("RU", "CN", "NG", "IR", "RO", "BR")
_GOOD_NETS, _BAD_NETS = ("81.2", "84.17", "73.12", "90.84"), ("185.220", "45.155", "91.240", "194.26")
_METHODS, _METHOD_P = ("password", "sso", "token", "passkey"), np.array([0.4, 0.35, 0.1, 0.15])
_MFA = np.array([0.3, 0.7, 0.9, 0.98])
_BENIGN_PORTS, _BAD_PORTS = (443, 80, 53, 25, 8080, 993), (22, 23, 3389, 445)


@dataclass(frozen=True, slots=True)
class EventHistory:
    accounts: pd.DataFrame
    activity: pd.DataFrame
    logins: pd.DataFrame
    sessions: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """All events in one table with an ``event_type`` column (what ``features ingest`` reads)."""
        parts = zip(COLUMNS, (self.accounts, self.activity, self.logins, self.sessions), strict=True)
        frames = [f.assign(**{EVENT_TYPE: kind}) for kind, f in parts if len(f)]
        return pd.concat(frames, ignore_index=True, sort=False)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> EventHistory:
        """Split one ``event_type`` table back into the four kinds (absent kinds are empty)."""
        if EVENT_TYPE not in frame.columns:
            raise InvalidInput(f"raw events need an {EVENT_TYPE!r} column")
        unknown = set(frame[EVENT_TYPE].unique()) - set(COLUMNS)
        if unknown:
            raise InvalidInput(f"unknown event types {sorted(map(str, unknown))}; known: {list(COLUMNS)}")
        parts = []
        for kind, names in COLUMNS.items():
            rows = frame[frame[EVENT_TYPE] == kind]
            missing = [c for c in names if c not in rows.columns or (len(rows) and rows[c].isna().all())]
            if len(rows) and missing:
                raise InvalidInput(f"{kind} events lack column(s) {missing}")
            part = rows.reindex(columns=list(names)).reset_index(drop=True)
            ints = [c for c in names if c in _INTEGER_COLUMNS and part[c].notna().all()]
            part = part.astype(dict.fromkeys(ints, np.int64))
            part["event_timestamp"] = pd.to_datetime(part["event_timestamp"], utc=True)
            parts.append(part)
        return cls(*parts)


def simulate_events(
    n_users: int = 60, days: int = 14, seed: int = 7, end: datetime | None = None
) -> EventHistory:
    """``days`` days of events of ``n_users`` users, ending at ``end`` (default: now, to the minute)."""
    if n_users < 1 or days < 1 or seed < 0:
        raise InvalidInput(f"need n_users >= 1, days >= 1, seed >= 0; got {n_users}, {days}, {seed}")
    stop = pd.Timestamp(end or datetime.now(UTC).replace(second=0, microsecond=0))
    stop = stop.tz_localize("UTC") if stop.tzinfo is None else stop.tz_convert("UTC")
    start = stop.normalize() - timedelta(days=days - 1)  # midnight; the last day is cut at ``stop``
    rng = np.random.default_rng([seed, zlib.crc32(b"events")])
    users = _users(n_users, days, start, rng)
    frames = (
        users[list(COLUMNS["account"])],
        _activity(users, days, start, rng),
        _logins(users, days, start, rng),
        _sessions(users, days, start, stop, rng),
    )
    kept = (f[f["event_timestamp"] <= stop] for f in frames)
    return EventHistory(*(f.assign(event_timestamp=f["event_timestamp"].dt.floor("s")) for f in kept))


def _users(n: int, days: int, start: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    anomaly = np.where(rng.random(n) < 0.1, rng.integers(1, 4, n), 0)  # 1 exfil, 2 compromised, 3 bot
    return pd.DataFrame(
        {
            "user_id": [f"u{i:04d}" for i in range(n)],
            "event_timestamp": start - pd.to_timedelta(rng.uniform(20, 1500, n), unit="D"),
            "role": rng.choice(len(ROLES), n, p=_ROLE_P),
            "home_country": rng.choice(_HOME, n),
            "home_net": (home_net := rng.choice(_GOOD_NETS, n)),
            "home_ip": _ips(home_net, rng),
            "alt_ip": _ips(home_net, rng),
            "devices": rng.integers(1, 4, n),
            "anomaly": anomaly,
            "intensity": rng.beta(1.6, 2.0, n),  # how strongly an anomalous user departs from normal
            "mislabelled": rng.random(n) < np.where(anomaly > 0, 0.1, 0.02),  # tickets miss or misfire
            # personal habits around the role's baseline: legitimate users differ a lot
            "pace": rng.lognormal(0, 0.35, n),
            "volume": rng.lognormal(0, 0.8, n),
            "scripting": rng.lognormal(0, 0.8, n),
            "night": rng.lognormal(0, 0.7, n),
            "onset": rng.integers(int(days * 0.4), max(int(days * 0.8), int(days * 0.4) + 1), n),
        }
    ).assign(role=lambda f: np.asarray(ROLES, dtype=object)[f["role"]])


def _per_user_day(users: pd.DataFrame, days: int, rate: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Index into ``users`` of every event, and (as a second row) its day."""
    counts = rng.poisson(rate.reshape(len(users), days)).ravel()
    cell = np.repeat(np.arange(counts.size), counts)
    return np.vstack([cell // days, cell % days])


def _ips(nets: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    a, b = rng.integers(0, 8, nets.size), rng.integers(1, 250, nets.size)
    return np.array([f"{n}.{x}.{y}" for n, x, y in zip(nets, a, b, strict=True)], dtype=object)


def _usual_ip(users: pd.DataFrame, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mostly the user's home address, sometimes their second one or another in the same network."""
    pick = rng.choice(3, u.size, p=[0.85, 0.1, 0.05])
    other = _ips(users["home_net"].to_numpy()[u], rng)
    return np.choose(pick, [users["home_ip"].to_numpy()[u], users["alt_ip"].to_numpy()[u], other])


def _device(devices: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Index of the device used: the primary one (0) mostly, else any of the user's devices."""
    return np.where(rng.random(devices.size) < 0.85, 0, rng.integers(0, 3, devices.size) % devices)


def _toward(base: np.ndarray, target: float, w: np.ndarray) -> np.ndarray:
    """``base`` moved a share ``w`` of the way to ``target``."""
    return np.asarray((1 - w) * base + w * target, dtype=np.float64)


def _activity(users: pd.DataFrame, days: int, start: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    role = users["role"].map(ROLES.index).to_numpy()
    anomaly, onset = users["anomaly"].to_numpy(), users["onset"].to_numpy()
    intensity = users["intensity"].to_numpy()
    active = (anomaly[:, None] > 0) & (np.arange(days)[None, :] >= onset[:, None])
    boost = np.where(active & (anomaly[:, None] == 3), 1.0 + 3.0 * intensity[:, None], 1.0)
    pace, volume, scripting, night = (users[c].to_numpy() for c in ("pace", "volume", "scripting", "night"))
    u, d = _per_user_day(users, days, (_SESSIONS[role] * pace)[:, None] * boost, rng)
    n, r = u.size, role[u]
    kind, t = np.where(active[u, d], anomaly[u], 0), intensity[u]
    exfil, comp, bot = t * (kind == 1), t * (kind == 2), t * (kind == 3)
    late_p = _toward(_toward(np.minimum(_AFTER_HOURS[r] * night[u], 0.6), 0.5, exfil), 0.4, comp)
    late_p = _toward(late_p, 0.6, bot)
    hour = np.where(rng.random(n) < late_p, rng.uniform(0, 24, n), np.clip(rng.normal(13, 2.5, n), 8, 17.9))
    minutes = rng.lognormal(np.log(_MINUTES[r] * (1 - 0.8 * bot)), 0.5)
    actions = 1 + rng.poisson(20, n)
    bad_ip = rng.random(n) < 0.3 * comp
    new_device = rng.random(n) < 0.3 * comp
    device_k = np.where(new_device, rng.integers(5, 9, n), _device(users["devices"].to_numpy()[u], rng))
    download = rng.lognormal(np.log(_DOWNLOAD[r] * volume[u]), 1.0) * np.exp(2.2 * exfil)
    label = (kind > 0) ^ (users["mislabelled"].to_numpy()[u] & (d >= onset[u]))
    frame = pd.DataFrame(
        {
            "user_id": users["user_id"].to_numpy()[u],
            "event_timestamp": start + pd.to_timedelta(d + hour / 24.0, unit="D"),
            "session_minutes": np.round(minutes, 1),
            "ip": np.where(bad_ip, _ips(rng.choice(_BAD_NETS, n), rng), _usual_ip(users, u, rng)),
            "device_id": [f"d{k}" for k in device_k],
            "actions": actions,
            "failed_actions": rng.binomial(actions, _toward(_FAIL_RATE[r], 0.2, comp)),
            "download_mb": np.round(download, 2),
            "privileged_actions": rng.poisson(_PRIVILEGED[r] + 3.0 * comp),
            "new_resources": rng.binomial(actions, _toward(_toward(_NEW_RATE[r], 0.4, exfil), 0.3, comp)),
            "api_calls": rng.poisson(_API_PER_HOUR[r] * scripting[u] * minutes / 60 * np.exp(2.5 * bot)),
            "anomalous": label.astype(np.int64),
        }
    )
    frame["device_id"] = frame["user_id"] + "-" + frame["device_id"]
    return frame.sort_values("event_timestamp", kind="stable", ignore_index=True)


def _logins(users: pd.DataFrame, days: int, start: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    u, d = _per_user_day(users, days, np.full((len(users), days), 2.0), rng)
    n = u.size
    hour = np.clip(rng.normal(10, 3, n), 0, 23.9)
    # 0 regular, 1 traveller, 2 new device | 3 credential stuffing, 4 phished session (takeovers)
    kind = rng.choice(5, n, p=[0.9, 0.04, 0.035, 0.013, 0.012])
    takeover = kind >= 3
    home = users["home_country"].to_numpy()[u]
    abroad = np.where(rng.random(n) < 0.7, rng.choice(_RISKY, n), rng.choice(_HOME, n))
    country = np.select([kind == 1, kind == 3], [rng.choice(_HOME, n), abroad], home)
    bad_net = np.where(rng.random(n) < 0.6, rng.choice(_BAD_NETS, n), "34.90")
    nets = np.select([kind == 3, kind == 4], [bad_net, rng.choice(_GOOD_NETS, n)], "34.90")
    ip = np.where((kind == 0) | (kind == 2), _usual_ip(users, u, rng), _ips(nets, rng))
    fresh = [f"x{k}" for k in rng.integers(0, 99, n)]
    device = np.where((kind == 2) | takeover, fresh, _device(users["devices"].to_numpy()[u], rng))
    method = np.where(takeover & (rng.random(n) < 0.8), 0, rng.choice(4, n, p=_METHOD_P))
    lat_lon = np.array([COUNTRY_COORDS[c] for c in country]) + rng.normal(0, 0.1, (n, 2))
    success = pd.DataFrame(
        {
            "user_id": users["user_id"].to_numpy()[u],
            "event_timestamp": start + pd.to_timedelta(d + hour / 24.0, unit="D"),
            "ip": ip,
            "country": country,
            "latitude": np.round(lat_lon[:, 0], 3),
            "longitude": np.round(lat_lon[:, 1], 3),
            "device_id": device,
            "auth_method": np.asarray(_METHODS, dtype=object)[method],
            "mfa_used": (rng.random(n) < _MFA[method] * np.where(takeover, 0.25, 1.0)).astype(np.int64),
            "success": 1,
            "takeover": (takeover ^ (rng.random(n) < np.where(takeover, 0.05, 0.001))).astype(np.int64),
        }
    )
    success["device_id"] = success["user_id"] + "-" + success["device_id"]
    success["user_agent"] = "ua/" + success["device_id"].where(rng.random(n) > 0.03, "other")
    typos = (rng.random(n) < 0.06) * rng.integers(1, 4, n)
    tries = np.where(kind == 3, rng.integers(1, 10, n), typos)  # failed attempts before the login
    fails = success.loc[np.repeat(np.arange(n), tries)].reset_index(drop=True)
    back = rng.uniform(1, 40, len(fails))
    fails["event_timestamp"] = fails["event_timestamp"] - pd.to_timedelta(back, unit="min")
    fails[["success", "takeover"]] = 0
    logins = pd.concat([success, fails], ignore_index=True)[list(COLUMNS["login"])]
    return logins.sort_values("event_timestamp", kind="stable", ignore_index=True)


def _sessions(
    users: pd.DataFrame, days: int, start: pd.Timestamp, stop: pd.Timestamp, rng: np.random.Generator
) -> pd.DataFrame:
    k = max(1, len(users) * days // 4)
    malicious = rng.random(k) < 0.3
    span_h = (stop - start).total_seconds() / 3600.0
    opened = start + pd.to_timedelta(rng.uniform(0, max(span_h - 1.0, 0.0), k), unit="h")
    recent = rng.random(k) < 0.1  # some investigations are live: their sessions are within the last hour
    opened = opened.where(~recent, stop - pd.to_timedelta(rng.uniform(20, 59, k), unit="min"))
    count = np.where(malicious, rng.integers(5, 25, k), rng.integers(2, 12, k))
    inv = np.repeat(np.arange(k), count)
    n, bad = inv.size, malicious[inv]
    gaps = rng.exponential(0.5, n)  # minutes between sessions of one investigation
    offset = gaps.cumsum() - np.repeat(np.r_[0, np.cumsum(gaps)[np.cumsum(count)[:-1] - 1]], count)
    user = rng.integers(0, len(users), k)[inv]
    port = np.where(bad & (rng.random(n) < 0.5), rng.choice(_BAD_PORTS, n), rng.choice(_BENIGN_PORTS, n))
    unusual = rng.random(n) < np.where(bad, 0.15, 0.005)
    protocol = np.where(unusual, rng.choice(("gre", "sctp", "esp"), n), rng.choice(("tcp", "udp", "icmp"), n))
    home = users["home_country"].to_numpy()[user]
    return pd.DataFrame(
        {
            "investigation_id": [f"inv-{i:05d}" for i in inv],
            "user_id": users["user_id"].to_numpy()[user],
            "event_timestamp": opened[inv] + pd.to_timedelta(offset, unit="min"),
            "src_ip": _ips(np.where(bad & (rng.random(n) < 0.6), rng.choice(_BAD_NETS, n), "10.1"), rng),
            "dst_port": port,
            "protocol": protocol,
            "country": np.where(bad & (rng.random(n) < 0.5), rng.choice(_RISKY, n), home),
            "bytes_out": np.round(rng.lognormal(np.log(np.where(bad, 2e6, 2e5)), 1.2)),
            "bytes_in": np.round(rng.lognormal(np.log(5e5), 1.0, n)),
            "malicious": bad.astype(np.int64),
        }
    ).sort_values("event_timestamp", kind="stable", ignore_index=True)
