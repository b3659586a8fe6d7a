"""`tailor preflight` catches what AWS would refuse, under the strict aws emulation.

Each test starts from an empty moto (aws_mode), with every call held to the shipped IAM policy
and every canned reply checked against botocore's model: quotas AWS lists no applied value
for, model ids Converse refuses as written, customization base models that do not fine-tune
in the region, roles under a path, the batch role, and the catalog queue.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.support.aws_iam import ACCOUNT, IamEnforcer, admin_client, with_models
from tests.support.aws_night import (
    AWS_SETTINGS,
    JUDGES,
    ROLE,
    canned_preflight,
)
from tests.support.moto_server import notifying_catalog_bucket
from tests.support.paths import REPO
from tests.support.service_quotas import Quota, answer_quotas

CATALOG_BUCKET = "acme-catalog"


@pytest.fixture
def preflight(preflight_ready, tailor_settings, capsys):
    """Run `tailor preflight` with these settings beside the e2e ones; (exit status, table).
    `.http`: the canned AWS, to answer otherwise."""
    canned_preflight(preflight_ready)

    def run(**settings) -> tuple[int, str]:
        from tailor_airflow.preflight import main

        tailor_settings(
            **{**AWS_SETTINGS, "judges": JUDGES[:2], "training_role_arn": ROLE, **settings}
        )
        status = main(["preflight"])
        return status, capsys.readouterr().out

    run.http = preflight_ready
    return run


def line(out: str, check: str) -> str:
    """The check's row, its columns two spaces apart (the table pads to the longest name)."""
    (found,) = re.findall(rf"^(?:OK|FAIL)\s+{check}\s.*$", out, re.M)
    return re.sub(r" {2,}", "  ", found)


def create_role(moto_server: str, name: str, trust: str, path: str = "/") -> str:
    document = (REPO / "iam" / trust).read_text().replace("${Account}", ACCOUNT)
    return admin_client("iam", endpoint_url=moto_server).create_role(
        RoleName=name, Path=path, AssumeRolePolicyDocument=document
    )["Role"]["Arn"]


# ---- quotas ----------------------------------------------------------------------------------
def test_a_quota_with_no_applied_value_is_read_from_its_default(preflight):
    answer_quotas(
        preflight.http,
        [  # ListServiceQuotas leaves the training quota out
            Quota("sagemaker", "ml.g5.12xlarge for training job usage", 2.0, applied=False),
            Quota("sagemaker", "ml.g5.12xlarge for endpoint usage", 2.0),
        ],
    )
    status, out = preflight()
    assert status == 0, out
    assert "ml.g5.12xlarge for training job usage: 2;" in line(out, "service quotas")


def test_a_quota_aws_lists_nowhere_fails_as_missing_not_as_zero(preflight):
    answer_quotas(preflight.http, [Quota("sagemaker", "ml.g5.12xlarge for endpoint usage", 2.0)])
    status, out = preflight()
    assert status == 1
    assert line(out, "service quotas").startswith("FAIL")
    assert "training job usage: no such quota in us-east-1" in out


# ---- model ids as Converse will be called with them ------------------------------------------
def test_a_bare_id_of_a_model_served_only_through_profiles_fails_naming_its_profile(preflight):
    status, out = preflight(judges=["anthropic.claude-haiku-4-5-20251001-v1:0", JUDGES[1]])
    assert status == 1
    assert line(out, "bedrock models").startswith("OK")  # active and authorized: not enough
    assert line(out, "model ids") == (
        "FAIL  model ids  anthropic.claude-haiku-4-5-20251001-v1:0 is not served "
        "on demand in us-east-1 (INFERENCE_PROFILE): use its inference profile "
        "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    )


def test_a_profile_id_must_exist_in_the_region_and_each_names_where_it_routes(preflight):
    unknown = "us.amazon.titan-text-express-v1"  # Titan Text has no cross-region profile
    with_models(IamEnforcer.installed.policy, [unknown])  # granted as docs/aws-setup.md says
    status, out = preflight(judges=[unknown, JUDGES[0]])
    assert status == 1
    assert f"{unknown}: no such inference profile in us-east-1" in line(out, "model ids")

    status, out = preflight()
    assert status == 0, out
    assert "us.amazon.nova-pro-v1:0 routes to us-east-1, us-east-2, us-west-1, us-west-2" in line(
        out, "model ids"
    )


def test_a_customization_base_model_that_does_not_fine_tune_here_fails(preflight, moto_server):
    arn = create_role(
        moto_server, "tailor-bedrock-customization", "bedrock-customization-role-trust.json"
    )
    bedrock = {"finetune_service": "bedrock", "customization_role_arn": arn, "endpoint_name": None}
    status, out = preflight(**bedrock, customization_base_model="amazon.nova-micro-v1:0:128k")
    assert status == 0, out
    assert "FINE_TUNING" in line(out, "customization base model")

    # Llama 3.1 fine-tunes in us-west-2 only (tests/support/bedrock_models.py)
    status, out = preflight(
        **bedrock, customization_base_model="meta.llama3-1-8b-instruct-v1:0:128k"
    )
    assert status == 1
    assert line(out, "customization base model").startswith(
        "FAIL  customization base model  meta.llama3-1-8b-instruct-v1:0:128k supports no "
        "customization in us-east-1"
    )


# ---- roles: under a path, the batch role -----------------------------------------------------
def test_a_role_under_a_path_is_found_and_its_arn_must_say_the_path(preflight, moto_server):
    arn = create_role(
        moto_server,
        "tailor-bedrock-customization",
        "bedrock-customization-role-trust.json",
        path="/service-role/",
    )
    assert ":role/service-role/tailor-bedrock-customization" in arn  # the console's default
    bedrock = {"finetune_service": "bedrock", "endpoint_name": None}
    status, out = preflight(**bedrock, customization_role_arn=arn)
    assert status == 0, out  # GetRole and the policy's grants see the role's path
    assert line(out, "customization role").startswith(f"OK  customization role  {arn} trusted")

    pathless = arn.replace("role/service-role/", "role/")
    status, out = preflight(**bedrock, customization_role_arn=pathless)
    assert status == 1
    assert f"customization_role_arn says {pathless}" in line(out, "customization role")


def test_the_batch_role_must_exist_and_trust_bedrock(preflight, moto_server):
    status, out = preflight()
    assert "batch role" in out and line(out, "batch role").startswith("OK")  # unset: online
    assert "batch models" not in out

    missing = f"arn:aws:iam::{ACCOUNT}:role/tailor-bedrock-batch"
    status, out = preflight(batch_role_arn=missing)
    assert status == 1
    assert "no role named tailor-bedrock-batch" in line(out, "batch role")

    wrong = create_role(moto_server, "tailor-bedrock-batch", "sagemaker-execution-role-trust.json")
    status, out = preflight(batch_role_arn=wrong)
    assert status == 1
    assert "trusted by ['sagemaker.amazonaws.com']" in line(out, "batch role")
    assert "us.amazon.nova-pro-v1:0 (from 100 records)" in line(out, "batch models")
    assert "online (no batch quota names it): google.gemma-3-27b-it" in line(out, "batch models")


# ---- the catalog queue -----------------------------------------------------------------------
def catalog_events(moto_server: str, queue: str = "tailor-catalog-events") -> str:
    """The catalog bucket and its queue, set up as docs/kb-sync.md says; the queue's URL."""
    s3, sqs = (admin_client(s, endpoint_url=moto_server) for s in ("s3", "sqs"))
    return notifying_catalog_bucket(s3, sqs, CATALOG_BUCKET, "catalog/", queue)


def queue_line(preflight, url: str) -> str:
    _, out = preflight(catalog_queue_url=url, catalog_uri=f"s3://{CATALOG_BUCKET}/catalog")
    return line(out, "catalog queue")


def test_the_catalog_queue_exists_and_lets_the_catalog_bucket_send(preflight, moto_server):
    url = catalog_events(moto_server)
    assert queue_line(preflight, url) == (
        f"OK  catalog queue  tailor-catalog-events exists; "
        f"its policy lets s3://{CATALOG_BUCKET} send"
    )


def test_a_queue_policy_for_another_bucket_fails(preflight, moto_server):
    url = catalog_events(moto_server)
    sqs = admin_client("sqs", endpoint_url=moto_server)
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "Policy": json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "s3.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": arn,
                            "Condition": {
                                "ArnLike": {"aws:SourceArn": "arn:aws:s3:::some-other-bucket"}
                            },
                        }
                    ],
                }
            )
        },
    )
    assert queue_line(preflight, url).startswith(
        f"FAIL  catalog queue  tailor-catalog-events exists; its policy does not let "
        f"s3://{CATALOG_BUCKET} send"
    )


def test_a_queue_outside_the_policys_names_or_missing_fails(preflight, moto_server):
    url = catalog_events(moto_server, queue="catalog-events")
    assert "catalog-events is not named tailor-*" in queue_line(preflight, url)
    gone = url.replace("catalog-events", "tailor-gone")
    assert queue_line(preflight, gone) == f"FAIL  catalog queue  no queue at {gone}"
