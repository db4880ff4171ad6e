"""A misspelt ``FORTRESS_`` variable is reported with the closest valid name, never silently ignored."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from fortress.settings import Settings, env_names, settings_from_env, unknown_settings
from support.cli import fortress


def messages(environ: dict[str, str]) -> list[str]:
    return [unknown.message for unknown in unknown_settings(environ)]


def test_the_warning_names_the_variable_and_the_closest_valid_name() -> None:
    assert messages({"FORTRESS_GATEWAY__MODEL_TIMEOUT": "2"}) == [
        "unknown setting FORTRESS_GATEWAY__MODEL_TIMEOUT (did you mean FORTRESS_GATEWAY__MODEL_TIMEOUT_S?)"
    ]


@pytest.mark.parametrize(
    ("given", "closest"),
    [
        ("FORTRESS_HOMEE", "FORTRESS_HOME"),
        ("FORTRESS_DATASET_DIR", "FORTRESS_DATASETS_DIR"),
        ("FORTRESS_REGISTRY__TRACKNG_URI", "FORTRESS_REGISTRY__TRACKING_URI"),
        ("FORTRESS_TRAINING__THRESHOLD_FILE", "FORTRESS_TRAINING__THRESHOLDS_FILE"),
        ("FORTRESS_RUNTIME__BATCHING__MAX_BATCH", "FORTRESS_RUNTIME__BATCHING__MAX_BATCH_SIZE"),
        ("FORTRESS_GATEWAY__AUTH__ENABLE", "FORTRESS_GATEWAY__AUTH__ENABLED"),
        ("FORTRESS_GATEWAY__RATELIMIT__BURST", "FORTRESS_GATEWAY__RATE_LIMIT__BURST"),
        # a key of a dict field is the user's own: the suggestion keeps it
        ("FORTRESS_GATEWAY__BACKENDS__TFS__URLL", "FORTRESS_GATEWAY__BACKENDS__TFS__URL"),
        (
            "FORTRESS_FEATURES__QUALITY__USER_ACTIVITY__MIN_ROW",
            "FORTRESS_FEATURES__QUALITY__USER_ACTIVITY__MIN_ROWS",
        ),
    ],
)
def test_nested_names_get_the_closest_nested_suggestion(given: str, closest: str) -> None:
    assert messages({given: "1"}) == [f"unknown setting {given} (did you mean {closest}?)"]


def test_case_is_ignored_as_the_settings_ignore_it_and_the_name_is_shown_as_spelt() -> None:
    assert messages({"fortress_home": "/x", "Fortress_Gateway__Port": "1"}) == []
    assert messages({"fortress_homee": "/x"}) == [
        "unknown setting fortress_homee (did you mean FORTRESS_HOME?)"
    ]


def test_a_name_like_no_setting_says_where_the_list_is() -> None:
    assert messages({"FORTRESS_WHATEVER_ELSE_ENTIRELY": "1"}) == [
        "unknown setting FORTRESS_WHATEVER_ELSE_ENTIRELY "
        "(no setting has a similar name; docs/CONFIGURATION.md lists them)"
    ]


def test_every_valid_name_passes_including_sections_and_dict_keys() -> None:
    names = {name.replace("*", "ANY_KEY"): "1" for name in env_names(Settings)}
    assert messages(names) == []
    for expected in (
        "FORTRESS_HOME",
        "FORTRESS_GATEWAY",  # a whole section as JSON (how `fortress up` hands settings to workers)
        "FORTRESS_GATEWAY__AUTH",
        "FORTRESS_GATEWAY__AUTH__ENABLED",
        "FORTRESS_REGISTRY__TRACKING_URI",
        "FORTRESS_TRAINING__THRESHOLDS_FILE",
        "FORTRESS_RUNTIME__BATCHING__MAX_BATCH_SIZE",
        "FORTRESS_GATEWAY__BACKENDS__*__URL",
    ):
        assert expected in env_names(Settings)


def test_names_the_check_accepts_are_the_ones_the_settings_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORTRESS_GATEWAY__BACKENDS__TFS__URL", "http://serving:8501")
    monkeypatch.setenv("FORTRESS_GATEWAY__BACKENDS__TFS__KIND", "tfserving")
    monkeypatch.setenv("FORTRESS_FEATURES__QUALITY__USER_ACTIVITY__MIN_ROWS", "5")
    monkeypatch.setenv("FORTRESS_TRAINING__SEED", "11")
    settings = Settings()
    assert settings.gateway.backends["tfs"].url == "http://serving:8501"
    assert settings.features.quality["user_activity"].min_rows == 5
    assert settings.training.seed == 11
    accepted = dict.fromkeys(("FORTRESS_GATEWAY__BACKENDS__TFS__URL", "FORTRESS_TRAINING__SEED"), "1")
    assert unknown_settings(accepted) == []


def test_other_variables_test_variables_and_client_variables_are_never_reported() -> None:
    environ = {
        "PATH": "/bin",
        "MLFLOW_TRACKING_URI": "x",
        "FORTRESSX": "1",
        "FORTRESS_TEST_DATASETS_DIR": "/data",  # set by CI for the tests, not a setting
        "FORTRESS_TEST_LEAK_CHILD": "1",
        "FORTRESS_API_KEY": "fk_...",  # read by clients (the printed curl example)
    }
    assert messages(environ) == []


def test_settings_from_env_logs_one_warning_per_unknown_variable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("FORTRESS_GATEWAY__MODEL_TIMEOUT", "2")
    monkeypatch.setenv("FORTRESS_HOMEE", "/x")
    monkeypatch.setenv("FORTRESS_HOME", "/tmp/fortress-home")
    with caplog.at_level(logging.WARNING, logger="fortress.settings"):
        settings = settings_from_env()
    assert settings.home == Path("/tmp/fortress-home")
    assert {r.levelno for r in caplog.records} == {logging.WARNING}
    assert [r.getMessage() for r in caplog.records] == [
        "unknown setting FORTRESS_GATEWAY__MODEL_TIMEOUT (did you mean FORTRESS_GATEWAY__MODEL_TIMEOUT_S?)",
        "unknown setting FORTRESS_HOMEE (did you mean FORTRESS_HOME?)",
    ]


def test_valid_settings_log_nothing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("FORTRESS_GATEWAY__MODEL_TIMEOUT_S", "2")
    with caplog.at_level(logging.DEBUG, logger="fortress.settings"):
        assert settings_from_env().gateway.model_timeout_s == 2
    assert caplog.records == []


def test_a_cli_command_prints_the_warning_line_on_stderr(tmp_path: Path) -> None:
    env = {"FORTRESS_GATEWAY__MODEL_TIMEOUT": "2", "FORTRESS_TEST_ANYTHING": "1"}
    result = fortress(tmp_path, "keys", "list", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: unknown setting FORTRESS_GATEWAY__MODEL_TIMEOUT "
        "(did you mean FORTRESS_GATEWAY__MODEL_TIMEOUT_S?)"
    ]


@pytest.mark.parametrize("factory", ["fortress.gateway.http.factory", "fortress.server.factory"])
def test_the_worker_app_factories_warn_too(
    factory: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """What uvicorn calls in each worker process (``fortress up/serve --workers N``, or uvicorn alone)."""
    import importlib

    monkeypatch.setenv("FORTRESS_HOME", str(settings.home))
    monkeypatch.setenv("FORTRESS_SERVER__REST_PORTT", "1")
    with caplog.at_level(logging.WARNING, logger="fortress.settings"):
        importlib.import_module(factory).app_from_env()
    assert [r.getMessage() for r in caplog.records if r.name == "fortress.settings"] == [
        "unknown setting FORTRESS_SERVER__REST_PORTT (did you mean FORTRESS_SERVER__REST_PORT?)"
    ]
