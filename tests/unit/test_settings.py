"""Settings: defaults that run locally, and clear errors for anything wrong or missing."""

from __future__ import annotations

import re

import pytest

from tailor.settings import REPO_ROOT, Backend, Settings, SettingsError


def test_defaults_are_the_embedded_backend_in_the_repo_data_folder():
    settings = Settings.from_mapping({})
    assert settings.backend is Backend.LOCAL
    assert settings.data_root == (REPO_ROOT / "data").as_uri()
    assert settings.catalog_uri == (REPO_ROOT / "data" / "catalog").as_uri()
    assert settings.local_kb_dir == REPO_ROOT / "data" / "knowledge_base"


def test_local_paths_become_file_uris_and_aws_keeps_s3():
    assert Settings.from_mapping({"data_root": "/tmp/x"}).catalog_uri == "file:///tmp/x/catalog"
    aws = Settings.from_mapping({"backend": "aws", "data_root": "s3://bucket/tailor"})
    assert aws.catalog_uri == "s3://bucket/tailor/catalog"
    with pytest.raises(SettingsError, match="needs a file:// data_root"):
        _ = aws.local_kb_dir


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"backend": "gcp"}, "'backend' has an invalid value 'gcp'"),
        ({"top_k": "three"}, "'top_k' has an invalid value"),
        ({"fail_on_failed_documents": "yes"}, "'fail_on_failed_documents'"),
        ({"knowledge_base": "x"}, "unknown Tailor setting"),
        ({"chunk_tokens": 100, "chunk_overlap": 100}, "chunk_overlap < chunk_tokens"),
        ({"prices": {"instance_hour": "cheap"}}, "'prices.instance_hour' has an invalid value"),
        ({"prices": {"instance_hour": -1}}, "'prices.instance_hour' has an invalid value -1"),
        ({"prices": {"gpu_hour": 1.0}}, "unknown Tailor setting 'prices.gpu_hour'"),
        # no lossy coercion: each of these was once kept or converted silently
        ({"endpoint_name": 5}, "'endpoint_name' has an invalid value 5"),
        ({"top_k": 2.9}, "'top_k' has an invalid value 2.9"),
        ({"gate_margin": True}, "'gate_margin' has an invalid value True"),
        ({"top_k": 0}, "'top_k' has an invalid value 0"),
        ({"endpoint_kind": "serverless"}, "'endpoint_kind' has an invalid value 'serverless'"),
        ({"judges": ["a.model-v1:0", 7]}, "'judges.1' has an invalid value 7"),
        ({"prices": 7.09}, "'prices' has an invalid value"),
        ({"judges": "smollm2"}, "'judges' has an invalid value"),
        ({"answer_prompt": "Answer please"}, "'answer_prompt' must contain {question}"),
        ({"context_answer_prompt": "{question}"}, "must contain {context} and {question}"),
        ({"finetune_service": "vertex"}, "'finetune_service' has an invalid value 'vertex'"),
        ({"finetune_service": "bedrock"}, "'finetune_service' bedrock needs the aws backend"),
        (
            {
                "backend": "aws",
                "data_root": "s3://b/t",
                "finetune_service": "bedrock",
                "customization_base_model": "amazon.nova-pro-v1:0",
            },
            "'customization_base_model': 'amazon.nova-pro-v1:0' is not a base model Tailor "
            "customizes in Bedrock; one of .*amazon.nova-micro-v1:0:128k",
        ),
        (
            {"customization_role_arn": "tailor-bedrock-customization"},
            "'customization_role_arn' has an invalid value",
        ),
    ],
)
def test_invalid_settings_are_named(mapping, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_mapping(mapping)


def test_every_bad_key_is_named_at_once_and_numbers_widen_without_loss():
    with pytest.raises(SettingsError) as raised:
        Settings.from_mapping({"top_k": 2.9, "endpoint_name": 5, "kb": "x"})
    message = str(raised.value)
    assert "'top_k'" in message and "'endpoint_name'" in message and "'kb'" in message
    assert Settings.from_mapping({"gate_margin": 1}).gate_margin == 1.0


def test_settings_are_frozen():
    settings = Settings.from_mapping({})
    with pytest.raises(ValueError, match="frozen"):
        settings.top_k = 5


def test_require_names_every_missing_aws_setting():
    settings = Settings.from_mapping({"backend": "aws", "knowledge_base_id": "KB1"})
    assert settings.require("knowledge_base_id") == ("KB1",)
    with pytest.raises(SettingsError, match="needs setting\\(s\\) data_source_id"):
        settings.require("knowledge_base_id", "data_source_id")


def test_judges_default_per_backend_and_prices_override_one_table():
    assert Settings.from_mapping({}).judges == ("keypoints",)
    aws = Settings.from_mapping({"backend": "aws", "judges": ["a.model-v1:0", "b.model-v1:0"]})
    assert aws.judges == ("a.model-v1:0", "b.model-v1:0")
    assert len(Settings.from_mapping({"backend": "aws"}).judges) == 3
    priced = Settings.from_mapping({"prices": {"instance_hour": 5}})
    assert priced.prices.instance_hour == 5.0 and priced.prices.opensearch_ocu_hour == 0.24


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('{"top_k": "three"}', "'top_k' has an invalid value"),
        ('{"knowledge_base": "KB1"}', "unknown Tailor setting"),
        ("{not json", "not valid JSON"),
    ],
)
def test_settings_in_the_environment_are_checked_when_dags_are_parsed(value, message, monkeypatch):
    from tailor_airflow.dag_defaults import check_settings_from_env

    monkeypatch.setenv("AIRFLOW_VAR_TAILOR_SETTINGS", value)
    with pytest.raises(SettingsError, match=re.escape(message)):
        check_settings_from_env()
    monkeypatch.setenv("AIRFLOW_VAR_TAILOR_SETTINGS", '{"top_k": 5}')
    check_settings_from_env()


def test_importing_the_dags_shared_defaults_checks_the_settings():
    """The check runs at import, i.e. when any Tailor DAG file is parsed (one fresh process)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "AIRFLOW_VAR_TAILOR_SETTINGS": '{"knowledge_base": "KB1"}'}
    result = subprocess.run(
        [sys.executable, "-c", "import tailor_airflow.dag_defaults"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "unknown Tailor setting" in result.stderr
