"""IP reputation and geo risk: a small protocol and a local, replaceable lookup table.

The blueprint calls outside services for both; Fortress looks them up in a table instead, so the
pipeline stays pure and offline. A real provider (a reputation feed, a GeoIP service) plugs in by
implementing ``ThreatIntel``. Both methods are vectorized: a single event passes a one-item list.

Reputation is in [0, 1] with 1 = trusted (the catalog's ``ip_reputation`` meaning); geo risk is in
[0, 1] with 1 = riskiest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Protocol

import numpy as np
import numpy.typing as npt

from fortress.features.errors import FeatureInputError

FloatArray = npt.NDArray[np.float64]


class ThreatIntel(Protocol):
    def ip_reputation(self, ips: Sequence[str]) -> FloatArray:
        """Reputation of each IPv4 address in [0, 1] (1 = trusted)."""
        ...

    def geo_risk(self, countries: Sequence[str]) -> FloatArray:
        """Risk of each ISO 3166 alpha-2 country code in [0, 1] (1 = riskiest)."""
        ...


# Reputation by /16 prefix: private ranges, consumer ISPs, cloud/proxy ranges, known-bad ranges.
_PREFIXES = {
    "10.0": 1.0,
    "10.1": 1.0,
    "172.16": 1.0,
    "192.168": 1.0,
    "81.2": 0.9,
    "84.17": 0.9,
    "90.84": 0.85,
    "73.12": 0.9,
    "104.28": 0.5,
    "34.90": 0.55,
    "45.155": 0.15,
    "185.220": 0.1,
    "91.240": 0.2,
    "194.26": 0.25,
}
_COUNTRIES = {
    "US": 0.1,
    "GB": 0.1,
    "DE": 0.1,
    "FR": 0.1,
    "NL": 0.15,
    "ES": 0.1,
    "IE": 0.1,
    "BR": 0.3,
    "IN": 0.3,
    "RO": 0.4,
    "NG": 0.6,
    "CN": 0.6,
    "RU": 0.7,
    "IR": 0.8,
    "KP": 0.95,
}


@dataclass(frozen=True, slots=True)
class LocalIntel:
    """Lookup by IPv4 /16 prefix and by country code, with defaults for unknown keys."""

    prefixes: Mapping[str, float] = field(default_factory=lambda: MappingProxyType(dict(_PREFIXES)))
    countries: Mapping[str, float] = field(default_factory=lambda: MappingProxyType(dict(_COUNTRIES)))
    default_reputation: float = 0.7
    default_geo_risk: float = 0.5

    def ip_reputation(self, ips: Sequence[str]) -> FloatArray:
        table, default = self.prefixes, self.default_reputation
        return np.fromiter((table.get(_prefix16(ip), default) for ip in ips), np.float64, len(ips))

    def geo_risk(self, countries: Sequence[str]) -> FloatArray:
        table, default = self.countries, self.default_geo_risk
        return np.fromiter(
            (table.get(str(c).upper(), default) for c in countries), np.float64, len(countries)
        )

    @classmethod
    def from_file(cls, path: Path) -> LocalIntel:
        """A table from YAML or JSON: ``{ip_prefixes: {"185.220": 0.1}, countries: {"RU": 0.7}, ...}``."""
        import yaml

        try:
            raw = (
                yaml.safe_load(path.read_text())
                if path.suffix in (".yaml", ".yml")
                else json.loads(path.read_text())
            )
        except (OSError, ValueError, yaml.YAMLError) as exc:
            raise FeatureInputError(f"cannot read threat-intel table {path}: {exc}") from exc
        if not isinstance(raw, dict):
            raise FeatureInputError(f"threat-intel table {path} must be a mapping")
        try:
            return cls(
                prefixes=MappingProxyType({str(k): _unit(v) for k, v in raw.get("ip_prefixes", {}).items()}),
                countries=MappingProxyType(
                    {str(k).upper(): _unit(v) for k, v in raw.get("countries", {}).items()}
                ),
                default_reputation=_unit(raw.get("default_reputation", 0.7)),
                default_geo_risk=_unit(raw.get("default_geo_risk", 0.5)),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise FeatureInputError(f"threat-intel table {path}: {exc}") from exc


def load_intel(path: Path | None) -> LocalIntel:
    return LocalIntel() if path is None else LocalIntel.from_file(path)


def _prefix16(ip: str) -> str:
    first, _, rest = str(ip).partition(".")
    return f"{first}.{rest.partition('.')[0]}"


def _unit(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"values must be in [0, 1], got {number}")
    return number
