"""Fixtures of the dag.test lane: the aws night on an empty moto, held to the shipped policy."""

from __future__ import annotations

import json

import pytest

from tests.support.aws_http import install
from tests.support.aws_iam import ACCOUNT, IamEnforcer, admin_client, shipped_policy, with_models
from tests.support.aws_night import AWS_SETTINGS, BUCKET, COMPONENT, JUDGES, KB, ROLE
from tests.support.moto_server import reset
from tests.support.paths import REPO, SAMPLE_TEST_SET


@pytest.fixture
def aws_mode(moto_server, tailor_settings, airflow_db, monkeypatch):
    """An empty moto, the test data seeded, then every call held to the shipped IAM policy."""
    reset(moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps(
            {"conn_type": "aws", "extra": {"endpoint_url": moto_server, "region_name": "us-east-1"}}
        ),
    )
    monkeypatch.setenv("TAILOR_ENDPOINT_UP_CRON", "0 0 * * *")  # up all day: wake finds it up
    monkeypatch.setenv("TAILOR_ENDPOINT_DOWN_CRON", "never")
    s3 = admin_client("s3", endpoint_url=moto_server)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="tailor/test_set.json", Body=SAMPLE_TEST_SET.read_bytes())
    tailor_settings(**AWS_SETTINGS, inference_component_name=COMPONENT)
    policy = shipped_policy(
        Region="us-east-1",
        Account=ACCOUNT,
        Bucket=BUCKET,
        Prefix="tailor",
        KnowledgeBaseId=KB,
        ExecutionRoleName="tailor-sagemaker",
        BatchRoleName="tailor-bedrock-batch",
        CustomizationRoleName="tailor-bedrock-customization",
    )
    # the one judge that is not a default: the user adds it to the policy
    iam = IamEnforcer(
        with_models(policy, [JUDGES[-1]]),
        tolerated={
            # the sagemaker SDK asks whether the role may write its default bucket and, refused,
            # stages its files in the session's bucket: Tailor's (sagemaker_model.sdk_session)
            "iam:SimulatePrincipalPolicy": "the SDK's staging-bucket probe"
        },
    ).install(monkeypatch)
    yield s3
    iam.assert_nothing_denied()


@pytest.fixture
def preflight_ready(aws_mode, moto_server, tailor_settings, monkeypatch):
    """moto holds the execution role; settings name it and the shipped policy's judges."""
    trust = (REPO / "iam" / "sagemaker-execution-role-trust.json").read_text()
    admin_client("iam", endpoint_url=moto_server).create_role(
        RoleName="tailor-sagemaker", AssumeRolePolicyDocument=trust
    )
    tailor_settings(**{**AWS_SETTINGS, "judges": JUDGES[:2]}, training_role_arn=ROLE)
    return install(monkeypatch, passthrough=True)
