"""Every fenced shell block of README.md and docs/*.md is run by a test or marked illustrative.

CLAIMS maps each command of a block (``support.doc_blocks.command_key``: the command path and the
options it uses) to the test that runs it; a block marked ``<!-- illustrative: <reason> -->`` on the
line before its fence is exempt. NOT_YET_RUN lists, honestly, README commands no test runs yet (issue
21 point 4): a new unclaimed command fails this test, and a gap that gets a test must leave the list."""

from __future__ import annotations

import re

import pytest

from support.doc_blocks import REPO, ShellBlock, all_shell_blocks, command_key, shell_blocks

CLAIMS: dict[str, str] = {
    "fortress deploy render --env --image-tag --out": (
        "tests/unit/deploy/test_k8s_render.py::test_image_tag_sets_every_fortress_image_and_out_writes_a_file"
    ),
    "make run": (
        "tests/e2e/test_make_run_simulator.py::"
        "test_up_on_a_fresh_home_trains_on_the_simulator_then_a_second_start_reuses_it"
    ),
    "make test": ".ci/run",
    "curl /api/v1/inference": (
        "tests/e2e/test_reference_ensemble.py::"
        "test_up_trains_all_twelve_then_serves_them_through_the_printed_curl"
    ),
    "fortress --help": ("tests/unit/cli/test_cli_basics.py::test_every_command_has_help"),
    "fortress train --datasets-dir": (
        "tests/e2e/test_reference_ensemble.py::test_retraining_registers_staging_then_alias_and_fetch"
    ),
    "fortress train --models": (
        "tests/e2e/test_reference_ensemble.py::test_retraining_registers_staging_then_alias_and_fetch"
    ),
    "fortress models list": ("tests/e2e/test_docs_examples.py::test_models_list_on_a_non_empty_registry"),
    "fortress models list --json": (
        "tests/e2e/test_reference_ensemble.py::"
        "test_all_twelve_registered_as_champions_on_real_or_simulated_data"
    ),
    "fortress models alias": (
        "tests/e2e/test_reference_ensemble.py::test_retraining_registers_staging_then_alias_and_fetch"
    ),
    "fortress models fetch --ref --to": (
        "tests/e2e/test_reference_ensemble.py::test_retraining_registers_staging_then_alias_and_fetch"
    ),
    "fortress datasets list --datasets-dir": (
        "tests/unit/cli/test_cli_basics.py::test_corrupt_dataset_file_is_named"
    ),
    "fortress datasets fetch --to": (
        "tests/unit/cli/test_datasets_fetch_cli.py::test_fetch_from_mirror_verifies_checksums"
    ),
    "fortress docs models": (
        "tests/e2e/test_reference_ensemble.py::test_docs_models_is_generated_from_the_registry"
    ),
    "fortress serve --models": (
        "tests/e2e/test_serve_process.py::test_readme_serve_and_curl_examples_work_on_the_default_ports"
    ),
    "fortress serve --grpc-port --rest-port --workers": (
        "tests/e2e/test_serve_process.py::test_unknown_variables_are_reported_once_not_by_every_worker"
    ),
    "fortress up": (
        "tests/e2e/test_make_run_simulator.py::"
        "test_up_on_a_fresh_home_trains_on_the_simulator_then_a_second_start_reuses_it"
    ),
    "fortress up --no-train --port --workers": (
        "tests/e2e/test_gateway_process.py::test_two_gateway_workers_share_the_port_and_the_api_key"
    ),
    "fortress keys create --name": (
        "tests/unit/cli/test_keys.py::test_create_prints_the_key_once_with_how_to_use_it"
    ),
    "fortress keys create --name --scope": ("tests/unit/cli/test_keys.py::test_list_and_revoke"),
    "fortress backup key": "tests/unit/cli/test_backup_cli.py::test_backup_key_is_a_fernet_key",
    "fortress backup create --to": (
        "tests/integration/ops/test_backup_s3.py::test_backup_round_trip_through_s3"
    ),
    "fortress backup create --key-file --to": (
        "tests/integration/ops/test_backup_cli.py::"
        "test_create_encrypts_secrets_with_the_key_and_never_writes_them_plainly"
    ),
    "export FORTRESS_OPS__BACKUP_KEY": (
        "tests/integration/ops/test_backup_cli.py::"
        "test_create_encrypts_secrets_with_the_key_and_never_writes_them_plainly"
    ),
    "fortress backup list --from": (
        "tests/integration/ops/test_backup_cli.py::test_list_and_prune_keep_the_newest"
    ),
    "fortress backup verify": (
        "tests/integration/ops/test_backup_cli.py::"
        "test_verify_and_restore_refuse_a_tampered_backup_naming_the_file"
    ),
    "fortress backup restore --to": (
        "tests/integration/ops/test_backup_cli.py::test_restore_needs_force_over_a_non_empty_home"
    ),
    "fortress backup restore --force": (
        "tests/integration/ops/test_backup_cli.py::test_restore_needs_force_over_a_non_empty_home"
    ),
    "fortress backup prune --from --keep-days": (
        "tests/integration/ops/test_backup_cli.py::test_list_and_prune_keep_the_newest"
    ),
    "fortress dr drill --report": (
        "tests/e2e/test_dr_drill.py::test_drill_on_a_fresh_home_gives_identical_answers"
    ),
    "fortress cost report --json --memory-gib --metrics --prices --vcpus --window": (
        "tests/integration/ops/test_cost_report.py::test_cost_report_counts_what_was_sent_and_prices_it_by_hand"
    ),
    "fortress cost report --json --memory-gib --prices --prometheus --vcpus --window": (
        "tests/integration/ops/test_cost_prometheus.py::test_report_from_prometheus_counts_what_was_sent"
    ),
    "fortress cost report --prometheus --window": (
        "tests/integration/ops/test_cost_prometheus.py::test_report_from_prometheus_counts_what_was_sent"
    ),
    "fortress models quantize": (
        "tests/unit/ops/test_quantize.py::test_a_drop_over_the_gate_is_reported_and_not_registered"
    ),
    "fortress keys list": ("tests/unit/cli/test_keys.py::test_list_and_revoke"),
    "fortress keys revoke": ("tests/unit/cli/test_keys.py::test_list_and_revoke"),
    "fortress features apply": (
        "tests/unit/cli/test_features_cli.py::test_simulate_apply_ingest_materialize_get"
    ),
    "fortress features simulate --days --users": (
        "tests/e2e/test_docs_examples.py::test_features_simulate_and_ingest_events_parquet"
    ),
    "fortress features ingest --push-online": (
        "tests/e2e/test_docs_examples.py::test_features_simulate_and_ingest_events_parquet"
    ),
    "fortress features materialize --incremental": (
        "tests/unit/cli/test_features_cli.py::test_simulate_apply_ingest_materialize_get"
    ),
    "fortress features get --entity": (
        "tests/unit/cli/test_features_cli.py::test_simulate_apply_ingest_materialize_get"
    ),
    "fortress drift compare --current --model": (
        "tests/unit/cli/test_drift_cli.py::test_table_names_the_drifted_feature"
    ),
    "fortress drift compare --current --html --model": (
        "tests/unit/cli/test_drift_cli.py::test_json_and_html_report"
    ),
    "fortress drift compare --current --json --model": (
        "tests/unit/cli/test_drift_cli.py::test_json_and_html_report"
    ),
    "fortress drift analyze --model": (
        "tests/unit/cli/test_drift_analyze_cli.py::test_a_drifted_log_names_the_drifted_feature"
    ),
    "fortress drift analyze --model --window": (
        "tests/unit/cli/test_drift_analyze_cli.py::test_a_drifted_log_names_the_drifted_feature"
    ),
    "fortress drift analyze --json --model --window": (
        "tests/unit/cli/test_drift_analyze_cli.py::test_the_window_the_version_and_unsampled_rows"
    ),
    "fortress drift analyze --html --json --model --window": (
        "tests/unit/cli/test_drift_analyze_cli.py::test_an_undrifted_log_json_and_html"
    ),
    "promtool check": (
        "tests/unit/deploy/test_prometheus_rules.py::test_promtool_checks_the_config_and_the_rules"
    ),
    "promtool test": (
        "tests/unit/deploy/test_prometheus_rules.py::"
        "test_every_alert_fires_and_stays_silent_in_its_promtool_cases"
    ),
    "fortress docs dashboards": (
        "tests/unit/deploy/test_grafana_dashboards.py::test_fortress_docs_dashboards_writes_the_same_file"
    ),
    "promtool query": (
        "tests/e2e/test_prometheus_alerting.py::"
        "test_prometheus_scrapes_alerts_reach_the_gateway_and_every_query_evaluates"
    ),
    "curl /api/v1/alerts": (
        "tests/e2e/test_prometheus_alerting.py::"
        "test_prometheus_scrapes_alerts_reach_the_gateway_and_every_query_evaluates"
    ),
    "curl /health": (
        "tests/e2e/test_prometheus_alerting.py::"
        "test_prometheus_scrapes_alerts_reach_the_gateway_and_every_query_evaluates"
    ),
    "curl /v1/models/dga_detector": (
        "tests/e2e/test_serve_process.py::test_readme_serve_and_curl_examples_work_on_the_default_ports"
    ),
    "curl /v1/models/dga_detector:predict": (
        "tests/e2e/test_serve_process.py::test_readme_serve_and_curl_examples_work_on_the_default_ports"
    ),
    "curl /v2/models/dga_detector": (
        "tests/e2e/test_serve_process.py::test_readme_serve_and_curl_examples_work_on_the_default_ports"
    ),
    "export FORTRESS_GATEWAY__BACKENDS": (
        "tests/e2e/test_gateway_process.py::test_remote_backends_answer_like_the_local_runtime"
    ),
    "export FORTRESS_GATEWAY__MODEL_BACKENDS": (
        "tests/e2e/test_gateway_process.py::test_remote_backends_answer_like_the_local_runtime"
    ),
}

NOT_YET_RUN: frozenset[str] = frozenset()
"""None left: every README command has a test above (the README's default ports are rewritten to
free ones by the tests that start servers)."""


def test_blocks_are_found_in_readme_and_docs() -> None:
    readme = shell_blocks(REPO / "README.md")
    assert [b.line for b in readme][:2] == [10, 20]
    assert any("fortress features ingest events.parquet" in c for b in readme for c in b.commands())
    where = {b.where.split(":")[0] for b in all_shell_blocks()}
    assert {"README.md", "docs/BACKENDS.md", "docs/CACHE.md", "docs/SECURITY.md"} <= where


@pytest.mark.parametrize("block", all_shell_blocks(), ids=lambda b: b.where)
def test_each_shell_block_is_run_by_a_test_or_marked_illustrative(block: ShellBlock) -> None:
    if block.illustrative is not None:
        assert len(block.illustrative) >= 10, f"{block.where}: give the reason it is illustrative"
        return
    unclaimed = [c for c in block.commands() if command_key(c) not in CLAIMS | dict.fromkeys(NOT_YET_RUN)]
    assert not unclaimed, (
        f"{block.where}: no test runs {[command_key(c) for c in unclaimed]}: add it to CLAIMS in "
        "tests/unit/test_doc_blocks.py with the test that runs it, or mark the block "
        "<!-- illustrative: <reason> -->"
    )


@pytest.mark.parametrize("key", sorted(CLAIMS))
def test_each_claim_names_a_test_that_exists(key: str) -> None:
    target = CLAIMS[key]
    path, _, name = target.partition("::")
    text = (REPO / path).read_text(encoding="utf-8")
    if not name:  # a script CI runs, holding the command itself
        assert key in text, f"{path} does not run {key!r}"
        return
    assert re.search(rf"^(async )?def {re.escape(name)}\(", text, re.M), f"{target} does not exist"


def test_claims_are_all_used() -> None:
    used = {command_key(c) for b in all_shell_blocks() if b.illustrative is None for c in b.commands()}
    assert set(CLAIMS) <= used, set(CLAIMS) - used
