"""The least-privilege IAM policies under iam/ cover every AWS call the code makes.

The calls are found by scanning the Airflow layer for botocore operation names of the services
Tailor uses, so a new call without a policy line fails here.
"""

from __future__ import annotations

import json
import re

import botocore
import botocore.session
import pytest
from conftest import REPO

SERVICES = ["sagemaker", "sagemaker-runtime", "bedrock", "bedrock-runtime", "bedrock-agent",
            "bedrock-agent-runtime", "application-autoscaling", "cloudwatch"]  # fmt: skip
# IAM authorizes some operations under another service prefix or action name
IAM_ACTION = {
    ("bedrock-runtime", "Converse"): "bedrock:InvokeModel",
    ("sagemaker-runtime", "InvokeEndpoint"): "sagemaker:InvokeEndpoint",
}
# the files Tailor keeps under data_root on S3 (ObjectStoragePath/s3fs: list, read, write,
# and rename = copy + delete), and the execution role handed to SageMaker
ALWAYS_NEEDED = {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
                 "iam:PassRole"}  # fmt: skip
# no resource-level ARNs (GetFoundationModelAvailability: a read-only lookup, granted on *)
# names that look like an operation but are hook methods making no AWS call of that name
NOT_OPERATIONS = {"get_session"}  # AwsBaseHook.get_session: a boto3 session (bedrock's GetSession)
UNSCOPED = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData",
            "bedrock:GetFoundationModelAvailability", "servicequotas:ListServiceQuotas"}  # fmt: skip


def policy(name: str) -> dict:
    return json.loads((REPO / "iam" / name).read_text())


def allowed(document: dict) -> set[str]:
    return {a for s in document["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


def called_actions() -> dict[str, set[str]]:
    """IAM action -> plugin files that call the operation."""
    session = botocore.session.get_session()
    operations: dict[str, str] = {}
    for service in SERVICES:
        prefix = service.removesuffix("-runtime").removesuffix("-agent")
        for operation in session.get_service_model(service).operation_names:
            action = IAM_ACTION.get((service, operation), f"{prefix}:{operation}")
            operations.setdefault(botocore.xform_name(operation), action)
    found: dict[str, set[str]] = {}
    for path in (REPO / "include" / "tailor_airflow").rglob("*.py"):
        for name in re.findall(r"\.([a-z][a-z0-9_]+)\b", path.read_text()):
            if name in operations and name not in NOT_OPERATIONS:
                found.setdefault(operations[name], set()).add(path.name)
    return found


def test_every_aws_call_in_the_code_is_allowed_by_the_airflow_policy():
    calls = called_actions()
    assert {
        "bedrock:StartIngestionJob",
        "bedrock:InvokeModel",
        "sagemaker:CreateTrainingJob",
        "sagemaker:InvokeEndpoint",
        "bedrock:Retrieve",
    } <= set(calls)  # the scan works
    missing = {a: sorted(files) for a, files in calls.items() if a not in allowed(policy(
        "tailor-airflow-policy.json"))}  # fmt: skip
    assert not missing, f"add to iam/tailor-airflow-policy.json: {missing}"
    assert ALWAYS_NEEDED <= allowed(policy("tailor-airflow-policy.json"))


@pytest.mark.parametrize(
    "name", ["tailor-airflow-policy.json", "sagemaker-execution-role-policy.json",
             "bedrock-batch-role-policy.json", "bedrock-customization-role-policy.json"]
)
def test_no_wildcard_actions_and_scoped_resources(name):
    document = policy(name)
    assert document["Version"] == "2012-10-17"
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow" and statement.get("Sid"), statement
        actions = statement["Action"]
        assert isinstance(actions, list) and all("*" not in a for a in actions), statement["Sid"]
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        if "*" in resources:
            assert set(actions) <= UNSCOPED, f"{statement['Sid']}: Resource * for {actions}"


def test_pass_role_is_limited_to_each_role_and_its_service():
    passes = {
        s["Resource"]: s["Condition"] for s in policy("tailor-airflow-policy.json")["Statement"]
        if "iam:PassRole" in s["Action"]
    }  # fmt: skip
    assert passes == {
        "arn:aws:iam::${Account}:role/${ExecutionRoleName}": {
            "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        "arn:aws:iam::${Account}:role/${BatchRoleName}": {
            "StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
        "arn:aws:iam::${Account}:role/${CustomizationRoleName}": {
            "StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
    }  # fmt: skip
    sagemaker = [s for s in policy("tailor-airflow-policy.json")["Statement"]
                 if any(a.startswith("sagemaker:Create") for a in s["Action"])]  # fmt: skip
    assert all(r.endswith("/tailor-*") for s in sagemaker for r in s["Resource"])


# ---- the enforcement the aws end-to-end tests run under (tests/aws_iam.py) has teeth ----------
POLICY_VALUES = {"Region": "us-east-1", "Account": "123456789012", "Bucket": "tailor-bucket",
                 "Prefix": "tailor", "KnowledgeBaseId": "KB00000001",
                 "ExecutionRoleName": "tailor-sagemaker", "BatchRoleName": "tailor-bedrock-batch",
                 "CustomizationRoleName": "tailor-bedrock-customization"}  # fmt: skip


def test_dropping_one_needed_action_denies_the_real_client_call(monkeypatch):
    """The check runs inside botocore's call path: a denied call never leaves the process."""
    from aws_iam import IamEnforcer, shipped_policy
    from aws_stubs import offline_client
    from botocore.exceptions import ClientError

    document = shipped_policy(**POLICY_VALUES)
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "bedrock:InvokeModel"]
    enforcer = IamEnforcer(document).install(monkeypatch)
    runtime = offline_client("bedrock-runtime")
    with pytest.raises(ClientError, match="bedrock:InvokeModel on arn:aws:bedrock:us-east-1"):
        runtime.converse(modelId="us.meta.llama3-1-8b-instruct-v1:0",
                         messages=[{"role": "user", "content": [{"text": "hi"}]}])  # fmt: skip
    assert enforcer.denied and "bedrock-runtime.Converse" in enforcer.denied[0]
    with pytest.raises(AssertionError, match="denied under iam/tailor-airflow-policy.json"):
        enforcer.assert_nothing_denied()


@pytest.mark.parametrize(
    ("service", "operation", "params", "allowed"),
    [
        ("s3", "PutObject", {"Bucket": "tailor-bucket", "Key": "tailor/x.json"}, True),
        ("s3", "PutObject", {"Bucket": "tailor-bucket", "Key": "other/x.json"}, False),
        ("s3", "ListObjectsV2", {"Bucket": "tailor-bucket", "Prefix": "tailor/evaluations/"}, True),
        ("s3", "ListObjectsV2", {"Bucket": "tailor-bucket", "Prefix": "secrets/"}, False),
        ("s3", "HeadBucket", {"Bucket": "tailor-bucket"}, False),  # no s3:prefix: denied
        ("s3", "CreateBucket", {"Bucket": "tailor-bucket"}, False),
        ("sagemaker", "CreateModel", {"ModelName": "tailor-ft-1",
         "ExecutionRoleArn": "arn:aws:iam::123456789012:role/tailor-sagemaker"}, True),
        ("sagemaker", "CreateModel", {"ModelName": "tailor-ft-1",
         "ExecutionRoleArn": "arn:aws:iam::123456789012:role/admin"}, False),  # PassRole
        ("sagemaker", "CreateModel", {"ModelName": "other-model",
         "ExecutionRoleArn": "arn:aws:iam::123456789012:role/tailor-sagemaker"}, False),
        ("sagemaker", "CreateTrainingJob", {"TrainingJobName": "tailor-ft-1",
         "RoleArn": "arn:aws:iam::123456789012:role/tailor-sagemaker",
         "Tags": [{"Key": "a", "Value": "b"}]}, True),  # the SDK tags: sagemaker:AddTags granted
        ("sagemaker", "AddTags", {"ResourceArn":
         "arn:aws:sagemaker:us-east-1:123456789012:training-job/other-job"}, False),
        ("bedrock-runtime", "Converse", {"modelId": "us.amazon.nova-pro-v1:0"}, True),
        ("bedrock-runtime", "Converse", {"modelId": "us.amazon.nova-premier-v1:0"}, False),
        ("bedrock-agent-runtime", "Retrieve", {"knowledgeBaseId": "KB00000001"}, True),
        ("bedrock-agent-runtime", "Retrieve", {"knowledgeBaseId": "KB00000002"}, False),
        ("bedrock", "CreateModelInvocationJob", {"modelId": "us.amazon.nova-pro-v1:0",
         "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-batch"}, True),
        ("bedrock", "CreateModelInvocationJob", {"modelId": "us.amazon.nova-pro-v1:0",
         "roleArn": "arn:aws:iam::123456789012:role/admin"}, False),  # PassRole
        ("bedrock", "CreateModelInvocationJob", {"modelId": "us.amazon.nova-premier-v1:0",
         "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-batch"}, False),
        ("bedrock", "GetModelInvocationJob", {"jobIdentifier":
         "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc123def456"}, True),
        ("bedrock", "CreateModelCustomizationJob", {"baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
         "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-customization"}, True),
        ("bedrock", "CreateModelCustomizationJob", {"baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
         "roleArn": "arn:aws:iam::123456789012:role/admin"}, False),  # PassRole
        ("bedrock", "CreateModelCustomizationJob", {"baseModelIdentifier": "amazon.nova-pro-v1:0:300k",
         "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-customization"}, False),
        ("bedrock", "CreateCustomModelDeployment", {
         "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc"}, True),
        ("bedrock", "CreateProvisionedModelThroughput", {
         "modelId": "arn:aws:bedrock:us-east-1:123456789012:custom-model/meta.llama3-1-8b/abc"}, True),
        ("bedrock", "CreateProvisionedModelThroughput", {"modelId": "amazon.nova-pro-v1:0"}, False),
        ("bedrock", "DeleteProvisionedModelThroughput", {"provisionedModelId": "tailor-ft-1"}, True),
        ("bedrock-runtime", "Converse", {"modelId":
         "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123"}, True),
        ("bedrock-runtime", "Converse", {"modelId":
         "arn:aws:bedrock:us-east-1:999999999999:custom-model-deployment/abc123"}, False),
    ],
)  # fmt: skip
def test_shipped_policy_allows_what_tailor_needs_and_nothing_beside(
    service, operation, params, allowed
):
    from aws_iam import authorizations, is_allowed, shipped_policy

    document = shipped_policy(**POLICY_VALUES)
    verdicts = [
        is_allowed(document, a) for a in authorizations(service, operation, params, "us-east-1")
    ]
    assert all(verdicts) is allowed, verdicts


def test_an_operation_without_an_iam_mapping_fails_instead_of_passing():
    from aws_iam import authorizations

    with pytest.raises(AssertionError, match="no IAM mapping"):
        authorizations("sagemaker", "CreateHyperParameterTuningJob", {}, "us-east-1")


def role_may(name: str):
    """Whether the service role `name` may take an S3 action on a key of Tailor's bucket."""
    from aws_iam import Authorization, is_allowed, shipped_policy

    document = shipped_policy(name, Region="us-east-1", Account="123456789012",
                              Bucket="tailor-bucket", Prefix="tailor")  # fmt: skip
    return lambda action, key: is_allowed(
        document, Authorization(action, f"arn:aws:s3:::tailor-bucket/{key}"))  # fmt: skip


def test_the_batch_role_reads_a_nights_records_and_writes_only_replies():
    may = role_may("bedrock-batch-role-policy.json")
    batch = "tailor/evaluations/2026-11-20/batch/rag"
    assert may("s3:GetObject", f"{batch}/records.jsonl")
    assert may("s3:PutObject", f"{batch}/output/abc123def456/records.jsonl.out")
    assert not may("s3:PutObject", f"{batch}/records.jsonl")  # never its own input
    assert not may("s3:GetObject", "tailor/models/current.json")  # nothing beside the night's


def test_the_customization_role_reads_training_data_and_writes_only_the_jobs_output():
    may = role_may("bedrock-customization-role-policy.json")
    data = "tailor/models/ft-202612010300-abcdef12/bedrock"
    assert may("s3:GetObject", f"{data}/train.jsonl") and may("s3:GetObject", f"{data}/validation.jsonl")
    assert may("s3:PutObject", f"{data}/output/model/step_wise_training_metrics.csv")
    assert not may("s3:PutObject", f"{data}/train.jsonl")  # never its own input
    assert not may("s3:GetObject", "tailor/models/current.json")  # nothing beside the model's data
