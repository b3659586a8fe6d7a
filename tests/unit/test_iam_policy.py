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

from tests.support.paths import REPO

SERVICES = [
    "sagemaker",
    "sagemaker-runtime",
    "bedrock",
    "bedrock-runtime",
    "bedrock-agent",
    "bedrock-agent-runtime",
    "application-autoscaling",
    "cloudwatch",
]
# IAM authorizes some operations under another service prefix or action name
IAM_ACTION = {
    ("bedrock-runtime", "Converse"): "bedrock:InvokeModel",
    ("sagemaker-runtime", "InvokeEndpoint"): "sagemaker:InvokeEndpoint",
}
# the files Tailor keeps under data_root on S3 (ObjectStoragePath/s3fs: list, read, write,
# and rename = copy + delete), and the execution role handed to SageMaker
ALWAYS_NEEDED = {"s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "iam:PassRole"}
# no resource-level ARNs (GetFoundationModelAvailability: a read-only lookup, granted on *)
# names that look like an operation but are hook methods making no AWS call of that name
NOT_OPERATIONS = {"get_session"}  # AwsBaseHook.get_session: a boto3 session (bedrock's GetSession)
UNSCOPED = {
    "ecr:GetAuthorizationToken",
    "cloudwatch:PutMetricData",
    "bedrock:GetFoundationModelAvailability",
    "servicequotas:ListServiceQuotas",
    "servicequotas:ListAWSDefaultServiceQuotas",
}


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
    missing = {
        a: sorted(files)
        for a, files in calls.items()
        if a not in allowed(policy("tailor-airflow-policy.json"))
    }
    assert not missing, f"add to iam/tailor-airflow-policy.json: {missing}"
    assert ALWAYS_NEEDED <= allowed(policy("tailor-airflow-policy.json"))


@pytest.mark.parametrize(
    "name",
    [
        "tailor-airflow-policy.json",
        "sagemaker-execution-role-policy.json",
        "bedrock-batch-role-policy.json",
        "bedrock-customization-role-policy.json",
    ],
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
        tuple(s["Resource"]): s["Condition"]
        for s in policy("tailor-airflow-policy.json")["Statement"]
        if "iam:PassRole" in s["Action"]
    }
    # each role by its name, at the top or under a path (role/service-role/<name>)
    assert passes == {
        (
            "arn:aws:iam::${Account}:role/${ExecutionRoleName}",
            "arn:aws:iam::${Account}:role/*/${ExecutionRoleName}",
        ): {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        (
            "arn:aws:iam::${Account}:role/${BatchRoleName}",
            "arn:aws:iam::${Account}:role/*/${BatchRoleName}",
        ): {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
        (
            "arn:aws:iam::${Account}:role/${CustomizationRoleName}",
            "arn:aws:iam::${Account}:role/*/${CustomizationRoleName}",
        ): {"StringEquals": {"iam:PassedToService": "bedrock.amazonaws.com"}},
    }
    sagemaker = [
        s
        for s in policy("tailor-airflow-policy.json")["Statement"]
        if any(a.startswith("sagemaker:Create") for a in s["Action"])
    ]
    assert all(r.endswith("/tailor-*") for s in sagemaker for r in s["Resource"])


# ---- the enforcement the aws end-to-end tests run under (tests/support/aws_iam.py) has teeth ----------
POLICY_VALUES = {
    "Region": "us-east-1",
    "Account": "123456789012",
    "Bucket": "tailor-bucket",
    "Prefix": "tailor",
    "KnowledgeBaseId": "KB00000001",
    "ExecutionRoleName": "tailor-sagemaker",
    "BatchRoleName": "tailor-bedrock-batch",
    "CustomizationRoleName": "tailor-bedrock-customization",
}


def test_dropping_one_needed_action_denies_the_real_client_call(monkeypatch):
    """The check runs inside botocore's call path: a denied call never leaves the process."""
    from botocore.exceptions import ClientError

    from tests.support.aws_iam import IamEnforcer, shipped_policy
    from tests.support.aws_stubs import offline_client

    document = shipped_policy(**POLICY_VALUES)
    for statement in document["Statement"]:
        statement["Action"] = [a for a in statement["Action"] if a != "bedrock:InvokeModel"]
    enforcer = IamEnforcer(document).install(monkeypatch)
    runtime = offline_client("bedrock-runtime")
    with pytest.raises(ClientError, match="bedrock:InvokeModel on arn:aws:bedrock:us-east-1"):
        runtime.converse(
            modelId="us.meta.llama3-1-8b-instruct-v1:0",
            messages=[{"role": "user", "content": [{"text": "hi"}]}],
        )
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
        (
            "sagemaker",
            "CreateModel",
            {
                "ModelName": "tailor-ft-1",
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/tailor-sagemaker",
            },
            True,
        ),
        (
            "sagemaker",
            "CreateModel",
            {
                "ModelName": "tailor-ft-1",
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/admin",
            },
            False,
        ),  # PassRole
        (
            "sagemaker",
            "CreateModel",
            {
                "ModelName": "other-model",
                "ExecutionRoleArn": "arn:aws:iam::123456789012:role/tailor-sagemaker",
            },
            False,
        ),
        (
            "sagemaker",
            "CreateTrainingJob",
            {
                "TrainingJobName": "tailor-ft-1",
                "RoleArn": "arn:aws:iam::123456789012:role/tailor-sagemaker",
                "Tags": [{"Key": "a", "Value": "b"}],
            },
            True,
        ),  # the SDK tags: sagemaker:AddTags granted
        (
            "sagemaker",
            "AddTags",
            {"ResourceArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/other-job"},
            False,
        ),
        ("bedrock-runtime", "Converse", {"modelId": "us.amazon.nova-pro-v1:0"}, True),
        ("bedrock-runtime", "Converse", {"modelId": "us.amazon.nova-premier-v1:0"}, False),
        ("bedrock-agent-runtime", "Retrieve", {"knowledgeBaseId": "KB00000001"}, True),
        ("bedrock-agent-runtime", "Retrieve", {"knowledgeBaseId": "KB00000002"}, False),
        (
            "bedrock",
            "CreateModelInvocationJob",
            {
                "modelId": "us.amazon.nova-pro-v1:0",
                "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-batch",
            },
            True,
        ),
        (
            "bedrock",
            "CreateModelInvocationJob",
            {
                "modelId": "us.amazon.nova-pro-v1:0",
                "roleArn": "arn:aws:iam::123456789012:role/admin",
            },
            False,
        ),  # PassRole
        (
            "bedrock",
            "CreateModelInvocationJob",
            {
                "modelId": "us.amazon.nova-premier-v1:0",
                "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-batch",
            },
            False,
        ),
        (
            "bedrock",
            "GetModelInvocationJob",
            {
                "jobIdentifier": "arn:aws:bedrock:us-east-1:123456789012:model-invocation-job/abc123def456"
            },
            True,
        ),
        (
            "bedrock",
            "CreateModelCustomizationJob",
            {
                "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
                "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-customization",
            },
            True,
        ),
        (
            "bedrock",
            "CreateModelCustomizationJob",
            {
                "baseModelIdentifier": "amazon.nova-micro-v1:0:128k",
                "roleArn": "arn:aws:iam::123456789012:role/admin",
            },
            False,
        ),  # PassRole
        (
            "bedrock",
            "CreateModelCustomizationJob",
            {
                "baseModelIdentifier": "amazon.nova-pro-v1:0:300k",
                "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-customization",
            },
            False,
        ),
        (
            "bedrock",
            "CreateCustomModelDeployment",
            {
                "modelArn": "arn:aws:bedrock:us-east-1:123456789012:custom-model/amazon.nova-micro-v1:0:128k/abc"
            },
            True,
        ),
        (
            "bedrock",
            "CreateProvisionedModelThroughput",
            {"modelId": "arn:aws:bedrock:us-east-1:123456789012:custom-model/meta.llama3-1-8b/abc"},
            True,
        ),
        ("bedrock", "CreateProvisionedModelThroughput", {"modelId": "amazon.nova-pro-v1:0"}, False),
        (
            "bedrock",
            "DeleteProvisionedModelThroughput",
            {"provisionedModelId": "tailor-ft-1"},
            True,
        ),
        (
            "bedrock-runtime",
            "Converse",
            {"modelId": "arn:aws:bedrock:us-east-1:123456789012:custom-model-deployment/abc123"},
            True,
        ),
        (
            "bedrock-runtime",
            "Converse",
            {"modelId": "arn:aws:bedrock:us-east-1:999999999999:custom-model-deployment/abc123"},
            False,
        ),
    ],
)
def test_shipped_policy_allows_what_tailor_needs_and_nothing_beside(
    service, operation, params, allowed
):
    from tests.support.aws_iam import authorizations, is_allowed, shipped_policy

    document = shipped_policy(**POLICY_VALUES)
    verdicts = [
        is_allowed(document, a) for a in authorizations(service, operation, params, "us-east-1")
    ]
    assert all(verdicts) is allowed, verdicts


def test_an_operation_without_an_iam_mapping_fails_instead_of_passing():
    from tests.support.aws_iam import authorizations

    with pytest.raises(AssertionError, match="no IAM mapping"):
        authorizations("sagemaker", "CreateHyperParameterTuningJob", {}, "us-east-1")


def role_may(name: str):
    """Whether the service role `name` may take an S3 action on a key of Tailor's bucket."""
    from tests.support.aws_iam import Authorization, is_allowed, shipped_policy

    document = shipped_policy(
        name, Region="us-east-1", Account="123456789012", Bucket="tailor-bucket", Prefix="tailor"
    )
    return lambda action, key: is_allowed(
        document, Authorization(action, f"arn:aws:s3:::tailor-bucket/{key}")
    )


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
    assert may("s3:GetObject", f"{data}/train.jsonl") and may(
        "s3:GetObject", f"{data}/validation.jsonl"
    )
    assert may("s3:PutObject", f"{data}/output/model/step_wise_training_metrics.csv")
    assert not may("s3:PutObject", f"{data}/train.jsonl")  # never its own input
    assert not may("s3:GetObject", "tailor/models/current.json")  # nothing beside the model's data


# ---- where the emulation was kinder than AWS (issue 27 §5) -----------------------------------
def allowed_under_shipped(service: str, operation: str, params: dict, document: dict | None = None):
    from tests.support.aws_iam import authorizations, is_allowed, shipped_policy

    document = document or shipped_policy(**POLICY_VALUES)
    return {
        a: is_allowed(document, a) for a in authorizations(service, operation, params, "us-east-1")
    }


def arns(verdicts: dict) -> set[str]:
    return {a.resource for a in verdicts}


def component(
    name: str = "tailor-ft-1", endpoint: str = "tailor-endpoint", model: str = "tailor-ft-1"
):
    return {
        "InferenceComponentName": name,
        "EndpointName": endpoint,
        "VariantName": "AllTraffic",
        "Specification": {"ModelName": model},
    }


@pytest.mark.parametrize(
    ("params", "allowed"),
    [
        (component(), True),
        (component(model="someone-elses-model"), False),  # the model it serves is checked too
        (component(name="other-component"), False),
        (component(endpoint="other-endpoint"), False),
    ],
)
def test_create_inference_component_is_authorized_on_the_component_its_endpoint_and_its_model(
    params, allowed
):
    verdicts = allowed_under_shipped("sagemaker", "CreateInferenceComponent", params)
    assert arns(verdicts) == {
        f"arn:aws:sagemaker:us-east-1:123456789012:inference-component/{params['InferenceComponentName']}",
        f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{params['EndpointName']}",
        f"arn:aws:sagemaker:us-east-1:123456789012:model/{params['Specification']['ModelName']}",
    }
    assert all(verdicts.values()) is allowed


def test_a_cross_region_profile_is_authorized_on_its_model_in_every_region_it_routes_to():
    from tests.support.aws_iam import Authorization

    profile = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    verdicts = allowed_under_shipped("bedrock-runtime", "Converse", {"modelId": profile})
    assert (
        Authorization(
            "bedrock:InvokeModel",
            "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
        )
        in verdicts
    )
    assert len(arns(verdicts)) == 5  # the profile, and the model in 4 regions


def test_a_judge_granted_in_the_callers_region_only_is_denied_and_as_the_readme_says_allowed():
    from tests.support.aws_iam import shipped_policy, with_models

    profile, model = "us.amazon.nova-premier-v1:0", "amazon.nova-premier-v1:0"
    # the old advice: the profile and the model, in the policy's region
    document = shipped_policy(**POLICY_VALUES)
    (answer,) = [s for s in document["Statement"] if s["Sid"] == "AnswerAndJudgeModels"]
    answer["Resource"] += [
        f"arn:aws:bedrock:us-east-1:123456789012:inference-profile/{profile}",
        f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
    ]
    verdicts = allowed_under_shipped("bedrock-runtime", "Converse", {"modelId": profile}, document)
    assert {a.resource.split(":")[3] for a, ok in verdicts.items() if not ok} == {
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }  # denied wherever Bedrock routes it but here
    granted = with_models(shipped_policy(**POLICY_VALUES), [profile])  # docs/aws-setup.md's advice
    assert all(
        allowed_under_shipped("bedrock-runtime", "Converse", {"modelId": profile}, granted).values()
    )


def test_the_shipped_batch_role_invokes_each_default_model_wherever_its_profile_routes():
    from tailor.settings import DEFAULT_JUDGES, Settings
    from tests.support.aws_iam import model_access_denied, role_refusal, shipped_policy

    role = shipped_policy(
        "bedrock-batch-role-policy.json",
        Region="us-east-1",
        Account="123456789012",
        Bucket="tailor-bucket",
        Prefix="tailor",
    )
    for model in [Settings().rag_model_id, *DEFAULT_JUDGES["aws"]]:
        assert model_access_denied(role, model) == [], model
    refusal = role_refusal(role, "us.amazon.nova-premier-v1:0")  # not granted to the role
    assert "inference-profile/us.amazon.nova-premier-v1:0" in refusal
    assert "us-west-2::foundation-model/amazon.nova-premier-v1:0" in refusal


def test_a_role_under_a_path_is_passed_and_read_by_its_full_arn():
    from tests.support.aws_iam import ROLE_PATH, authorizations

    role = "arn:aws:iam::123456789012:role/service-role/tailor-bedrock-customization"
    (get,) = authorizations(
        "iam",
        "GetRole",
        {"RoleName": "tailor-bedrock-customization", ROLE_PATH: "/service-role/"},
        "us-east-1",
    )
    assert get.resource == role
    assert all(
        allowed_under_shipped(
            "iam",
            "GetRole",
            {"RoleName": "tailor-bedrock-customization", ROLE_PATH: "/service-role/"},
        ).values()
    )
    passes = allowed_under_shipped(
        "bedrock",
        "CreateModelCustomizationJob",
        {"baseModelIdentifier": "amazon.nova-micro-v1:0:128k", "roleArn": role},
    )
    assert all(passes.values()), passes
    other = role.replace("tailor-bedrock-customization", "admin")  # a path opens no other role
    assert not all(
        allowed_under_shipped(
            "bedrock",
            "CreateModelCustomizationJob",
            {"baseModelIdentifier": "amazon.nova-micro-v1:0:128k", "roleArn": other},
        ).values()
    )


def test_registering_a_scalable_target_is_validated_on_sagemaker_cloudwatch_and_the_linked_role():
    from tests.support.aws_iam import shipped_policy

    target = {
        "ServiceNamespace": "sagemaker",
        "ResourceId": "inference-component/tailor-ft-1",
        "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
        "MinCapacity": 0,
        "MaxCapacity": 1,
    }
    verdicts = allowed_under_shipped("application-autoscaling", "RegisterScalableTarget", target)
    assert {a.action for a in verdicts} == {
        "application-autoscaling:RegisterScalableTarget",
        "sagemaker:DescribeInferenceComponent",
        "sagemaker:UpdateInferenceComponentRuntimeConfig",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "iam:CreateServiceLinkedRole",
    }
    assert all(verdicts.values()), verdicts
    # a policy scoping alarms to Tailor's own names fails the validation, which names none
    document = shipped_policy(**POLICY_VALUES)
    document["Statement"] = [
        s for s in document["Statement"] if s["Sid"] != "ApplicationAutoScalingValidatesAlarms"
    ]
    denied = [
        a.action
        for a, ok in allowed_under_shipped(
            "application-autoscaling", "PutScalingPolicy", target, document
        ).items()
        if not ok
    ]
    assert sorted(denied) == [
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:PutMetricAlarm",
    ]


def test_a_batch_job_on_a_model_its_role_may_not_invoke_fails_as_on_aws(moto_server):
    """tests/support/bedrock_batch.py holds the service role to its policy for the job's model too."""
    from tests.support.aws_iam import admin_client, shipped_policy
    from tests.support.bedrock_batch import BedrockBatch
    from tests.support.moto_server import reset

    reset(moto_server)
    s3 = admin_client(
        "s3", endpoint_url=moto_server, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    s3.create_bucket(Bucket="tailor-bucket")
    night = "tailor/evaluations/2026-11-20/batch/rag"
    records = "".join(
        json.dumps(
            {
                "recordId": f"R{i:010d}",
                "modelInput": {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
            }
        )
        + "\n"
        for i in range(100)
    )
    s3.put_object(Bucket="tailor-bucket", Key=f"{night}/records.jsonl", Body=records.encode())
    role = shipped_policy(
        "bedrock-batch-role-policy.json",
        Region="us-east-1",
        Account="123456789012",
        Bucket="tailor-bucket",
        Prefix="tailor",
    )
    reply = {
        "output": {"message": {"role": "assistant", "content": [{"text": "ok"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1},
    }
    batch = BedrockBatch(s3, role, lambda where, body: reply)
    for model, status in (
        ("us.amazon.nova-pro-v1:0", "Completed"),
        ("us.amazon.nova-premier-v1:0", "Failed"),
    ):
        job_arn = batch.create(
            {
                "jobName": f"tailor-{model.split('.')[2].split('-v')[0]}",
                "modelId": model,
                "roleArn": "arn:aws:iam::123456789012:role/tailor-bedrock-batch",
                "modelInvocationType": "Converse",
                "inputDataConfig": {
                    "s3InputDataConfig": {"s3Uri": f"s3://tailor-bucket/{night}/records.jsonl"}
                },
                "outputDataConfig": {
                    "s3OutputDataConfig": {"s3Uri": f"s3://tailor-bucket/{night}/output/"}
                },
            }
        )["jobArn"]
        job = batch.jobs[job_arn.rsplit("/", 1)[1]]
        looked = [batch.look(job) for _ in range(3)][-1]
        assert looked["status"] == status, looked.get("message")
    assert (
        "bedrock:InvokeModel on arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.amazon.nova-premier-v1:0"
        in looked["message"]
    )
