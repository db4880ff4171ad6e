"""The threat-intel lookup table, the feature settings and the rendered feature_store.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from fortress.features.errors import FeatureInputError
from fortress.features.intel import LocalIntel, load_intel
from fortress.features.repo import FeatureRepo
from fortress.features.settings import FeatureSettings, QualityLimits


def test_local_intel_looks_up_prefixes_and_countries_with_defaults() -> None:
    intel = LocalIntel()
    rep = intel.ip_reputation(["10.0.3.4", "185.220.1.2", "8.8.8.8"])
    np.testing.assert_array_equal(rep, [1.0, 0.1, intel.default_reputation])
    np.testing.assert_array_equal(intel.geo_risk(["ru", "US", "ZZ"]), [0.7, 0.1, intel.default_geo_risk])


def test_intel_table_is_replaceable_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "intel.yaml"
    path.write_text(
        yaml.safe_dump({"ip_prefixes": {"8.8": 0.95}, "countries": {"fr": 0.9}, "default_reputation": 0.4})
    )
    intel = load_intel(path)
    assert intel.ip_reputation(["8.8.4.4", "10.0.0.1"]).tolist() == [0.95, 0.4]
    assert intel.geo_risk(["FR"]).tolist() == [0.9]
    path.write_text(yaml.safe_dump({"countries": {"FR": 3}}))
    with pytest.raises(FeatureInputError, match=r"values must be in \[0, 1\]"):
        load_intel(path)
    with pytest.raises(FeatureInputError, match="cannot read threat-intel table"):
        load_intel(tmp_path / "missing.json")


class _Settings(BaseSettings):
    """The way ``Settings`` nests feature settings (``Settings.features``)."""

    model_config = SettingsConfigDict(env_prefix="FORTRESS_", env_nested_delimiter="__", extra="ignore")
    features: FeatureSettings = Field(default_factory=FeatureSettings)


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTRESS_FEATURES__ONLINE", "redis")
    monkeypatch.setenv("FORTRESS_FEATURES__REDIS_URL", "redis://:s3cret@cache.internal:6380/2")
    monkeypatch.setenv("FORTRESS_FEATURES__PROJECT", "prod_ml")
    monkeypatch.setenv(
        "FORTRESS_FEATURES__QUALITY", '{"user_activity": {"min_rows": 500, "max_null_ratio": 0}}'
    )
    features = _Settings().features
    assert features.online == "redis"
    assert features.project == "prod_ml"
    assert features.redis_connection_string() == (
        "cache.internal:6380,db=2,password=s3cret,socket_connect_timeout=1.0,socket_timeout=1.0,retry=null"
    )
    assert features.limits_for("user_activity") == QualityLimits(min_rows=500, max_null_ratio=0.0)
    assert features.limits_for("threat_features") == features.default_quality


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("project", "has-dash", r"project must be letters, digits and '_', got 'has-dash'"),
        ("redis_url", "http://x", r"redis_url must look like redis://host:port/db, got 'http://x'"),
        ("online", "dynamodb", r"online\n  Input should be 'sqlite' or 'redis'"),
        (
            "quality",
            {"v": {"max_null_ratio": 2}},
            r"quality\.v\.max_null_ratio\n  Input should be less than or equal to 1",
        ),
    ],
)
def test_invalid_settings_are_rejected(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FeatureSettings.model_validate({field: value})


def test_feature_store_yaml_is_rendered_from_settings(tmp_path: Path) -> None:
    repo = FeatureRepo.at(FeatureSettings(), tmp_path)
    assert repo.root == (tmp_path / "features").resolve()
    config = yaml.safe_load(repo.render_yaml())
    assert config["provider"] == "local"
    assert config["online_store"] == {"type": "sqlite", "path": str(repo.online_path)}
    assert config["offline_store"] == {"type": "file"}
    assert config["registry"]["path"] == str(repo.registry_path)
    assert config["entity_key_serialization_version"] == 3
    redis = FeatureRepo.at(
        FeatureSettings(
            online="redis",
            redis_url="rediss://cache:6390/1",
            redis_key_ttl_seconds=3600,
            redis_timeout_s=0.25,
            root=tmp_path / "r",
        ),
        tmp_path,
    )
    online = yaml.safe_load(redis.render_yaml())["online_store"]
    assert online == {
        "type": "redis",
        "connection_string": "cache:6390,db=1,ssl=true,"
        "socket_connect_timeout=0.25,socket_timeout=0.25,retry=null",
        "key_ttl_seconds": 3600,
    }
    path = redis.write_yaml()
    assert path == tmp_path / "r" / "feature_store.yaml"
    assert yaml.safe_load(path.read_text())["project"] == "fortress"
