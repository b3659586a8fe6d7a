"""IAM as AWS enforces it, for every AWS call a test makes.

moto authorizes only some services, and the canned replies below it none, so every botocore
call in the process — Tailor's own, the provider's hooks and triggers, s3fs (aiobotocore) and
the sagemaker SDK — is checked here before it is sent: the operation is mapped to the IAM
actions and resource ARNs that AWS authorizes it as (the Service Authorization Reference's
names: HeadBucket is s3:ListBucket, Converse is bedrock:InvokeModel, a create call that
passes a role also needs iam:PassRole, ...), and evaluated against the policy Tailor ships,
conditions included. A denied call gets AWS's AccessDenied error and is recorded, so the test
fails naming the call, the action and the resource. An operation with no mapping here fails
too: nothing reaches the emulation unchecked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"  # moto's default account: the ARNs moto returns carry it


@dataclass(frozen=True)
class Authorization:
    """One (action, resource) pair AWS checks for a call, with the request's condition keys."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def shipped_policy(name: str = "tailor-airflow-policy.json", **values: str) -> dict:
    """iam/<name> with its ${Placeholders} filled in; all must be given."""
    text = (REPO / "iam" / name).read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", value)
    left = set(re.findall(r"\$\{(\w+)\}", text))
    assert not left, f"placeholders without a value: {sorted(left)}"
    return json.loads(text)


def with_models(policy: dict, models: list[str], region: str = "us-east-1") -> dict:
    """The policy after a user adds models to it, as docs/aws-setup.md says to when changing judges:
    a cross-region profile id with the profile and its model in every region (`*`), a bare
    id with the model in this region; the preflight lookups of each beside."""
    grants: dict[str, list[str]] = {}
    for model in models:
        name = model.split(".", 1)[1] if INFERENCE_PROFILE.match(model) else model
        here = f"arn:aws:bedrock:{region}::foundation-model/{name}"
        if INFERENCE_PROFILE.match(model):
            profile = f"arn:aws:bedrock:{region}:{ACCOUNT}:inference-profile/{model}"
            grants.setdefault("AnswerAndJudgeModels", []).extend(
                [profile, f"arn:aws:bedrock:*::foundation-model/{name}"]
            )
            grants.setdefault("InferenceProfilePreflight", []).append(profile)
        else:
            grants.setdefault("AnswerAndJudgeModels", []).append(here)
        grants.setdefault("JudgePreflight", []).append(here)
    for statement in policy["Statement"]:
        if statement.get("Sid") in grants:
            statement["Resource"] = [*_listed(statement["Resource"]), *grants[statement["Sid"]]]
    return policy


# ---- operation -> what IAM authorizes --------------------------------------------------------
Mapper = Callable[[dict, str, str], list[Authorization]]


def _arn(service: str, region: str, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def _s3_bucket(action: str, prefix_key: str | None = None) -> Mapper:
    def mapper(params: dict, region: str, account: str) -> list[Authorization]:
        context = ()
        if prefix_key and params.get(prefix_key) is not None:
            context = (("s3:prefix", params[prefix_key]),)
        return [Authorization(action, f"arn:aws:s3:::{params['Bucket']}", context)]

    return mapper


def _s3_object(action: str) -> Mapper:
    return lambda p, region, account: [
        Authorization(action, f"arn:aws:s3:::{p['Bucket']}/{p['Key']}")
    ]


def _s3_copy(params: dict, region: str, account: str) -> list[Authorization]:
    source = params["CopySource"]
    if isinstance(source, dict):
        source = f"{source['Bucket']}/{source['Key']}"
    return [
        Authorization("s3:GetObject", f"arn:aws:s3:::{source.lstrip('/').split('?')[0]}"),
        Authorization("s3:PutObject", f"arn:aws:s3:::{params['Bucket']}/{params['Key']}"),
    ]


def _s3_delete_many(params: dict, region: str, account: str) -> list[Authorization]:
    return [
        Authorization("s3:DeleteObject", f"arn:aws:s3:::{params['Bucket']}/{o['Key']}")
        for o in params["Delete"]["Objects"]
    ]


SAGEMAKER_RESOURCE = {  # parameter naming the resource -> its ARN type
    "TrainingJobName": "training-job",
    "ModelName": "model",
    "EndpointConfigName": "endpoint-config",
    "EndpointName": "endpoint",
    "InferenceComponentName": "inference-component",
}
PASSED_ROLE = ("RoleArn", "ExecutionRoleArn")  # parameters that hand a role to SageMaker


# calls authorized on more than one resource: (parameter path, ARN type), the first the one the
# call acts on (Service Authorization Reference: CreateEndpoint on the endpoint and its config,
# CreateInferenceComponent on the component, its endpoint and the model it serves)
SAGEMAKER_RESOURCES = {
    "CreateEndpoint": (("EndpointName", "endpoint"), ("EndpointConfigName", "endpoint-config")),
    "UpdateEndpoint": (("EndpointName", "endpoint"),),
    "CreateInferenceComponent": (
        ("InferenceComponentName", "inference-component"),
        ("EndpointName", "endpoint"),
        ("Specification.ModelName", "model"),
    ),
}


def _sagemaker_resources(operation: str, params: dict) -> list[tuple[str, str]]:
    """(ARN type, name) of each resource IAM checks the call on; else the first one named."""
    if operation not in SAGEMAKER_RESOURCES:
        return next(
            ([(kind, params[key])] for key, kind in SAGEMAKER_RESOURCE.items() if key in params), []
        )
    named = []
    for path, kind in SAGEMAKER_RESOURCES[operation]:
        value: Any = params
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value:  # a component given a container instead of a model has no model to check
            named.append((kind, value))
    return named


def _sagemaker(operation: str) -> Mapper:
    """sagemaker:<Operation> on the named resource; tags and passed roles need their own."""

    def mapper(params: dict, region: str, account: str) -> list[Authorization]:
        if operation == "AddTags" or operation == "DeleteTags":
            return [Authorization(f"sagemaker:{operation}", params["ResourceArn"])]
        if operation.startswith("List") or operation == "Search":
            return [Authorization(f"sagemaker:{operation}", "*")]
        named = _sagemaker_resources(operation, params)
        assert named, f"no resource for sagemaker:{operation} in {sorted(params)}"
        arns = [_arn("sagemaker", region, account, f"{kind}/{n.lower()}") for kind, n in named]
        checks = [Authorization(f"sagemaker:{operation}", arn) for arn in arns]
        resource = arns[0]  # the one the call creates or acts on
        if operation.startswith("Create") and params.get("Tags"):
            checks.append(Authorization("sagemaker:AddTags", resource))
        for key in PASSED_ROLE:
            if key in params:
                checks.append(
                    Authorization(
                        "iam:PassRole",
                        params[key],
                        (("iam:PassedToService", "sagemaker.amazonaws.com"),),
                    )
                )
        return checks

    return mapper


def _bedrock_kb(action: str) -> Mapper:
    return lambda p, region, account: [
        Authorization(
            action, _arn("bedrock", region, account, f"knowledge-base/{p['knowledgeBaseId']}")
        )
    ]


# A cross-region inference profile's id starts with its geography. Bedrock serves each request
# in one region of that geography, and IAM authorizes the foundation model in the region that
# serves it: a policy must allow the model in all of them. The emulation's destinations per
# geography (a profile's own are in GetInferenceProfile's `models`; tests/support/bedrock_models.py
# answers with these); a global profile's model is also authorized without a region.
PROFILE_DESTINATIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": ("eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"),
    "apac": ("ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2"),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
    "global": ("",),
}
_GEOGRAPHIES = "|".join(sorted(PROFILE_DESTINATIONS, key=len, reverse=True))
INFERENCE_PROFILE = re.compile(rf"^({_GEOGRAPHIES})\.")


def profile_destinations(profile_id: str, region: str) -> tuple[str, ...]:
    """The regions a system-defined profile sends requests to ("" for region-less)."""
    geography = profile_id.split(".", 1)[0]
    regions = PROFILE_DESTINATIONS[geography]
    return (region, *regions) if geography == "global" else regions


def _model_arns(model: str, region: str, account: str) -> list[str]:
    """A model id as IAM sees it: an inference profile needs the profile and its model in
    every region the profile routes to; a bare id, the model in the caller's region."""
    profile = model.rsplit("/", 1)[1] if ":inference-profile/" in model else model
    if INFERENCE_PROFILE.match(profile):
        name = profile.split(".", 1)[1]
        return [
            model
            if model.startswith("arn:")
            else _arn("bedrock", region, account, f"inference-profile/{model}"),
            *(
                f"arn:aws:bedrock:{r}::foundation-model/{name}"
                for r in profile_destinations(profile, region)
            ),
        ]
    if model.startswith("arn:"):
        return [model]
    return [f"arn:aws:bedrock:{region}::foundation-model/{model}"]


def model_access_denied(
    policy: dict, model: str, region: str = "us-east-1", action: str = "bedrock:InvokeModel"
) -> list[str]:
    """The ARNs of `model` that `policy` does not let `action` reach. A batch job invokes its
    model as the service role: Bedrock holds that role's policy to what the Airflow policy is
    held to for Converse (a profile's model in every region it routes to)."""
    return [
        arn
        for arn in _model_arns(model, region, ACCOUNT)
        if not is_allowed(policy, Authorization(action, arn))
    ]


def role_refusal(policy: dict, model: str) -> str | None:
    """Why a batch job on `model` fails as the service role with `policy`, or None: every
    record runs on the job's model (tests/support/bedrock_batch.py asks this before a job runs)."""
    denied = model_access_denied(policy, model)
    return (
        f"The role may not perform bedrock:InvokeModel on {', '.join(denied)}" if denied else None
    )


def _invoke(action: str, key: str = "modelId") -> Mapper:
    return lambda p, region, account: [
        Authorization(action, arn) for arn in _model_arns(p[key], region, account)
    ]


def _lookup(action: str, key: str, kind: str) -> Mapper:
    """A read of one model or profile, given by id or ARN: in the caller's region only (a
    foundation model's ARN has no account)."""

    def needed(params: dict, region: str, account: str) -> list[Authorization]:
        given = params[key]
        owner = "" if kind == "foundation-model" else account
        return [
            Authorization(
                action,
                given
                if given.startswith("arn:")
                else f"arn:aws:bedrock:{region}:{owner}:{kind}/{given}",
            )
        ]

    return needed


def _queue(action: str):
    """An SQS call on the queue its URL names (https://sqs.<region>.../<account>/<name>)."""

    def needed(p, region, account):
        owner, name = p["QueueUrl"].rstrip("/").split("/")[-2:]
        return [Authorization(action, f"arn:aws:sqs:{region}:{owner}:{name}")]

    return needed


NEW_JOB_ID = "n0t0created0"  # a job's ARN ends in an id AWS assigns: any policy must allow it


def _batch_job_create(params: dict, region: str, account: str) -> list[Authorization]:
    """The new job, the model it invokes, and the service role passed to Bedrock."""
    job = _arn("bedrock", region, account, f"model-invocation-job/{NEW_JOB_ID}")
    return [
        Authorization("bedrock:CreateModelInvocationJob", job),
        *_invoke("bedrock:CreateModelInvocationJob")(params, region, account),
        Authorization(
            "iam:PassRole", params["roleArn"], (("iam:PassedToService", "bedrock.amazonaws.com"),)
        ),
    ]


def _bedrock_resource(action: str, kind: str, key: str) -> Mapper:
    """A call on a Bedrock resource given by ARN or by name: IAM sees its ARN, whose id AWS
    assigns (by name, any id the policy must allow)."""

    def needed(params: dict, region: str, account: str) -> list[Authorization]:
        given = params[key]
        arn = (
            given
            if given.startswith("arn:")
            else _arn("bedrock", region, account, f"{kind}/{NEW_JOB_ID}")
        )
        return [Authorization(action, arn)]

    return needed


def _customization_job_create(params: dict, region: str, account: str) -> list[Authorization]:
    """The new job, the custom model it makes, the base model, the role passed to Bedrock."""
    action = "bedrock:CreateModelCustomizationJob"
    return [
        Authorization(
            action, _arn("bedrock", region, account, f"model-customization-job/{NEW_JOB_ID}")
        ),
        Authorization(action, _arn("bedrock", region, account, f"custom-model/{NEW_JOB_ID}")),
        *_invoke(action, "baseModelIdentifier")(params, region, account),
        Authorization(
            "iam:PassRole", params["roleArn"], (("iam:PassedToService", "bedrock.amazonaws.com"),)
        ),
    ]


def _serving_create(action: str, kind: str, model_key: str) -> Mapper:
    """A deployment or throughput of a custom model: the new resource and the model."""
    return lambda p, region, account: [
        Authorization(action, _arn("bedrock", region, account, f"{kind}/{NEW_JOB_ID}")),
        Authorization(action, p[model_key]),
    ]


def _fixed(action: str, resource: str = "*") -> Mapper:
    return lambda p, region, account: [Authorization(action, resource)]


def _endpoint_invoke(params: dict, region: str, account: str) -> list[Authorization]:
    endpoint = params["EndpointName"].lower()
    return [
        Authorization(
            "sagemaker:InvokeEndpoint", _arn("sagemaker", region, account, f"endpoint/{endpoint}")
        )
    ]


AUTOSCALING_SERVICE = "sagemaker.application-autoscaling.amazonaws.com"
AUTOSCALING_ROLE = (
    "role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
# what Application Auto Scaling asks of the target service as the caller, per resource kind
# (its SageMaker service-linked role's own policy, AWSApplicationAutoscalingSageMakerEndpointPolicy)
SCALED_SAGEMAKER = {
    "inference-component": (
        "sagemaker:DescribeInferenceComponent",
        "sagemaker:UpdateInferenceComponentRuntimeConfig",
    ),
    "endpoint": ("sagemaker:DescribeEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities"),
}
VALIDATED_ALARMS = (
    "cloudwatch:DescribeAlarms",
    "cloudwatch:PutMetricAlarm",
    "cloudwatch:DeleteAlarms",
)


def _scaling_validation(params: dict, region: str, account: str) -> list[Authorization]:
    """Application Auto Scaling checks the caller's permissions on the target and CloudWatch
    before it configures scaling ("Permissions validation for API calls on target
    resources"): it calls the target service as the caller, and CloudWatch's PutMetricAlarm,
    DescribeAlarms and DeleteAlarms naming no alarm, which only a grant on every alarm covers."""
    assert params["ServiceNamespace"] == "sagemaker", f"not emulated: {params['ServiceNamespace']}"
    kind, name = params["ResourceId"].split("/")[:2]
    target = _arn("sagemaker", region, account, f"{kind}/{name.lower()}")
    checks = [Authorization(action, target) for action in SCALED_SAGEMAKER[kind]]
    if kind == "endpoint":  # its configuration, whose name the validation reads from the endpoint
        checks.append(
            Authorization(
                "sagemaker:DescribeEndpointConfig",
                _arn("sagemaker", region, account, "endpoint-config/*"),
            )
        )
    every_alarm = _arn("cloudwatch", region, account, "alarm:*")
    return checks + [Authorization(action, every_alarm) for action in VALIDATED_ALARMS]


def _scalable_target(action: str) -> Mapper:
    """The target's ARN (its id AWS assigns), then what configuring scaling is validated with;
    registering creates the service-linked role the first time (assumed: it does not exist)."""

    def mapper(params: dict, region: str, account: str) -> list[Authorization]:
        checks = [
            Authorization(
                action,
                _arn(
                    "application-autoscaling",
                    region,
                    account,
                    f"scalable-target/{params.get('ResourceId', '*')}",
                ),
            )
        ]
        operation = action.split(":")[1]
        if operation in ("RegisterScalableTarget", "PutScalingPolicy", "PutScheduledAction"):
            checks += _scaling_validation(params, region, account)
        if operation == "RegisterScalableTarget":
            checks.append(
                Authorization(
                    "iam:CreateServiceLinkedRole",
                    f"arn:aws:iam::{account}:{AUTOSCALING_ROLE}",
                    (("iam:AWSServiceName", AUTOSCALING_SERVICE),),
                )
            )
        return checks

    return mapper


def _alarms(action: str) -> Mapper:
    def mapper(params: dict, region: str, account: str) -> list[Authorization]:
        names = params.get("AlarmNames") or [params["AlarmName"]]
        return [
            Authorization(action, _arn("cloudwatch", region, account, f"alarm:{n}")) for n in names
        ]

    return mapper


OPERATIONS: dict[tuple[str, str], Mapper] = {
    ("s3", "HeadBucket"): _s3_bucket("s3:ListBucket"),
    ("s3", "ListObjectsV2"): _s3_bucket("s3:ListBucket", "Prefix"),
    ("s3", "ListObjects"): _s3_bucket("s3:ListBucket", "Prefix"),
    ("s3", "GetBucketLocation"): _s3_bucket("s3:GetBucketLocation"),
    ("s3", "CreateBucket"): _s3_bucket("s3:CreateBucket"),
    ("s3", "HeadObject"): _s3_object("s3:GetObject"),
    ("s3", "GetObject"): _s3_object("s3:GetObject"),
    ("s3", "PutObject"): _s3_object("s3:PutObject"),
    ("s3", "CreateMultipartUpload"): _s3_object("s3:PutObject"),
    ("s3", "UploadPart"): _s3_object("s3:PutObject"),
    ("s3", "CompleteMultipartUpload"): _s3_object("s3:PutObject"),
    ("s3", "AbortMultipartUpload"): _s3_object("s3:AbortMultipartUpload"),
    ("s3", "DeleteObject"): _s3_object("s3:DeleteObject"),
    ("s3", "DeleteObjects"): _s3_delete_many,
    ("s3", "CopyObject"): _s3_copy,
    ("bedrock-agent", "StartIngestionJob"): _bedrock_kb("bedrock:StartIngestionJob"),
    ("bedrock-agent", "GetIngestionJob"): _bedrock_kb("bedrock:GetIngestionJob"),
    ("bedrock-agent", "ListIngestionJobs"): _bedrock_kb("bedrock:ListIngestionJobs"),
    ("bedrock-agent", "ListDataSources"): _bedrock_kb("bedrock:ListDataSources"),
    ("bedrock-agent", "GetKnowledgeBase"): _bedrock_kb("bedrock:GetKnowledgeBase"),
    ("bedrock-agent", "GetDataSource"): _bedrock_kb("bedrock:GetDataSource"),
    ("bedrock-agent-runtime", "Retrieve"): _bedrock_kb("bedrock:Retrieve"),
    ("bedrock-runtime", "Converse"): _invoke("bedrock:InvokeModel"),
    ("bedrock-runtime", "InvokeModel"): _invoke("bedrock:InvokeModel"),
    ("bedrock", "GetFoundationModel"): _lookup(
        "bedrock:GetFoundationModel", "modelIdentifier", "foundation-model"
    ),
    ("bedrock", "GetInferenceProfile"): _lookup(
        "bedrock:GetInferenceProfile", "inferenceProfileIdentifier", "inference-profile"
    ),
    ("bedrock", "GetFoundationModelAvailability"): _fixed("bedrock:GetFoundationModelAvailability"),
    ("bedrock", "CreateModelInvocationJob"): _batch_job_create,
    ("bedrock", "CreateModelCustomizationJob"): _customization_job_create,
    ("bedrock", "GetModelCustomizationJob"): _bedrock_resource(
        "bedrock:GetModelCustomizationJob", "model-customization-job", "jobIdentifier"
    ),
    ("bedrock", "GetCustomModel"): _bedrock_resource(
        "bedrock:GetCustomModel", "custom-model", "modelIdentifier"
    ),
    ("bedrock", "DeleteCustomModel"): _bedrock_resource(
        "bedrock:DeleteCustomModel", "custom-model", "modelIdentifier"
    ),
    ("bedrock", "CreateCustomModelDeployment"): _serving_create(
        "bedrock:CreateCustomModelDeployment", "custom-model-deployment", "modelArn"
    ),
    ("bedrock", "GetCustomModelDeployment"): _bedrock_resource(
        "bedrock:GetCustomModelDeployment",
        "custom-model-deployment",
        "customModelDeploymentIdentifier",
    ),
    ("bedrock", "DeleteCustomModelDeployment"): _bedrock_resource(
        "bedrock:DeleteCustomModelDeployment",
        "custom-model-deployment",
        "customModelDeploymentIdentifier",
    ),
    ("bedrock", "CreateProvisionedModelThroughput"): _serving_create(
        "bedrock:CreateProvisionedModelThroughput", "provisioned-model", "modelId"
    ),
    ("bedrock", "GetProvisionedModelThroughput"): _bedrock_resource(
        "bedrock:GetProvisionedModelThroughput", "provisioned-model", "provisionedModelId"
    ),
    ("bedrock", "DeleteProvisionedModelThroughput"): _bedrock_resource(
        "bedrock:DeleteProvisionedModelThroughput", "provisioned-model", "provisionedModelId"
    ),
    ("bedrock", "GetModelInvocationJob"): lambda p, region, account: [
        Authorization("bedrock:GetModelInvocationJob", p["jobIdentifier"])
    ],
    ("sagemaker-runtime", "InvokeEndpoint"): _endpoint_invoke,
    ("cloudwatch", "PutMetricAlarm"): _alarms("cloudwatch:PutMetricAlarm"),
    ("cloudwatch", "DeleteAlarms"): _alarms("cloudwatch:DeleteAlarms"),
    ("cloudwatch", "DescribeAlarms"): _fixed("cloudwatch:DescribeAlarms"),
    ("sns", "Publish"): lambda p, region, account: [
        Authorization("sns:Publish", p.get("TopicArn") or p["TargetArn"])
    ],
    ("sagemaker", "DescribeHubContent"): lambda p, region, account: [
        Authorization(
            "sagemaker:DescribeHubContent",
            # SageMaker's public hub belongs to the account "aws"
            f"arn:aws:sagemaker:{region}:{'aws' if p['HubName'] == 'SageMakerPublicHub' else account}"
            f":hub-content/{p['HubName']}/{p['HubContentType']}/{p['HubContentName']}",
        )
    ],
    ("sqs", "ReceiveMessage"): _queue("sqs:ReceiveMessage"),
    ("sqs", "DeleteMessage"): _queue("sqs:DeleteMessage"),
    ("sqs", "DeleteMessageBatch"): _queue("sqs:DeleteMessage"),  # authorized per message
    ("sts", "GetCallerIdentity"): lambda p, region, account: [],  # needs no permission
    ("iam", "SimulatePrincipalPolicy"): lambda p, region, account: [
        Authorization("iam:SimulatePrincipalPolicy", p["PolicySourceArn"])
    ],
    ("iam", "GetRole"): lambda p, region, account: [  # on the role's ARN: its path included
        Authorization(
            "iam:GetRole", f"arn:aws:iam::{account}:role{p.get(ROLE_PATH, '/')}{p['RoleName']}"
        )
    ],
    ("service-quotas", "ListServiceQuotas"): _fixed("servicequotas:ListServiceQuotas"),
    ("service-quotas", "ListAWSDefaultServiceQuotas"): _fixed(
        "servicequotas:ListAWSDefaultServiceQuotas"
    ),
    ("sqs", "GetQueueAttributes"): _queue("sqs:GetQueueAttributes"),
}
for _operation in (
    "CreateTrainingJob",
    "DescribeTrainingJob",
    "StopTrainingJob",
    "CreateModel",
    "DescribeModel",
    "DeleteModel",
    "CreateEndpointConfig",
    "DescribeEndpointConfig",
    "DeleteEndpointConfig",
    "CreateEndpoint",
    "DescribeEndpoint",
    "DeleteEndpoint",
    "UpdateEndpoint",
    "CreateInferenceComponent",
    "DescribeInferenceComponent",
    "DeleteInferenceComponent",
    "UpdateInferenceComponentRuntimeConfig",
    "AddTags",
    "ListTrainingJobs",
):
    OPERATIONS[("sagemaker", _operation)] = _sagemaker(_operation)
for _operation in (
    "RegisterScalableTarget",
    "DeregisterScalableTarget",
    "PutScalingPolicy",
    "DeleteScalingPolicy",
):
    OPERATIONS[("application-autoscaling", _operation)] = _scalable_target(
        f"application-autoscaling:{_operation}"
    )
for _operation in ("DescribeScalableTargets", "DescribeScalingPolicies"):  # no resource ARNs
    OPERATIONS[("application-autoscaling", _operation)] = _fixed(
        f"application-autoscaling:{_operation}"
    )


ROLE_PATH = "_RolePath"  # not a parameter: the path AWS knows from a role's name (IamEnforcer)


def authorizations(service: str, operation: str, params: dict, region: str) -> list[Authorization]:
    mapper = OPERATIONS.get((service, operation))
    if mapper is None:
        raise AssertionError(
            f"AWS call {service}.{operation} has no IAM mapping in tests/support/aws_iam.py: add what "
            "the Service Authorization Reference says it needs"
        )
    return mapper(params, region, ACCOUNT)


# ---- policy evaluation ------------------------------------------------------------------------
def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str, value: str, case: bool = True) -> bool:
    """IAM wildcards: * any run of characters (including / and :), ? one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


CONDITIONS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda want, have: want == have,
    "StringLike": _glob,
    "ArnEquals": lambda want, have: want == have,
    "ArnLike": _glob,
}


def _conditions_hold(block: dict, context: dict[str, str]) -> bool:
    for operator, keys in block.items():
        test = CONDITIONS.get(operator)
        assert test, (
            f"condition operator {operator} is not emulated: add it to tests/support/aws_iam.py"
        )
        for key, wanted in keys.items():
            if key not in context:  # a missing key fails every non-IfExists condition
                return False
            if not any(test(w, context[key]) for w in _listed(wanted)):
                return False
    return True


def _matches(statement: dict, request: Authorization) -> bool:
    if not any(_glob(a, request.action, case=False) for a in _listed(statement["Action"])):
        return False
    if not any(_glob(r, request.resource) for r in _listed(statement["Resource"])):
        return False
    return _conditions_hold(statement.get("Condition", {}), dict(request.context))


def is_allowed(policy: dict, request: Authorization) -> bool:
    """An explicit Deny wins, then an Allow; nothing allowed is an implicit deny."""
    statements = policy["Statement"]
    if any(s["Effect"] == "Deny" and _matches(s, request) for s in statements):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, request) for s in statements)


# ---- enforcement on every client in the process -----------------------------------------------
ADMIN = "_tailor_test_admin"


def admin_client(service: str, **kwargs: Any):
    """A boto3 client for the test itself (seeding, assertions): not held to Tailor's policy."""
    import boto3

    client = boto3.client(service, **{"region_name": "us-east-1", **kwargs})
    setattr(client, ADMIN, True)
    return client


def _role_path(client, name: str) -> str:
    """The role's path ("/service-role/"), as IAM resolves the name before authorizing; "/"
    for a role that does not exist (the call is authorized on that ARN, then refused) or
    where no IAM answers (a test's canned replies: AssertionError)."""
    try:
        return admin_client("iam", endpoint_url=client.meta.endpoint_url).get_role(RoleName=name)[
            "Role"
        ]["Path"]
    except (ClientError, AssertionError):
        return "/"


@dataclass
class IamEnforcer:
    """Checks each call against `policy`; `calls` and `denied` are what the run asked for."""

    policy: dict
    # actions a library probes and does without when refused, as AWS would refuse them
    tolerated: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, str, list[Authorization]]] = field(default_factory=list)
    denied: list[str] = field(default_factory=list)
    # the enforcer in force: a test grants what a user adds to the policy by hand through it
    installed: ClassVar[IamEnforcer | None] = None

    def check(self, client, operation: str, params: dict) -> None:
        if getattr(client, ADMIN, False):  # the test's own setup and assertions
            return
        service = client.meta.service_model.service_name
        if (service, operation) == ("iam", "GetRole"):
            params = {**params, ROLE_PATH: _role_path(client, params["RoleName"])}
        try:
            needed = authorizations(service, operation, params, client.meta.region_name)
        except AssertionError as unmapped:  # recorded: a library may swallow the exception
            self.denied.append(str(unmapped))
            raise
        self.calls.append((service, operation, needed))
        for request in needed:
            if not is_allowed(self.policy, request):
                message = (
                    f"{service}.{operation} needs {request.action} on {request.resource}"
                    f"{f' with {dict(request.context)}' if request.context else ''}, "
                    "which the shipped policy does not allow"
                )
                if request.action not in self.tolerated:
                    self.denied.append(message)
                code = "AccessDenied" if service == "s3" else "AccessDeniedException"
                raise ClientError(
                    {
                        "Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": 403},
                    },
                    operation,
                )

    def actions(self) -> set[str]:
        return {request.action for _, _, needed in self.calls for request in needed}

    def install(self, monkeypatch) -> IamEnforcer:
        from aiobotocore.client import AioBaseClient
        from botocore.client import BaseClient

        sync_call, async_call = BaseClient._make_api_call, AioBaseClient._make_api_call

        def checked(client, operation, params):
            self.check(client, operation, params)
            return sync_call(client, operation, params)

        async def checked_async(client, operation, params):
            self.check(client, operation, params)
            return await async_call(client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", checked)
        monkeypatch.setattr(AioBaseClient, "_make_api_call", checked_async)
        monkeypatch.setattr(IamEnforcer, "installed", self)
        return self

    def assert_nothing_denied(self) -> None:
        assert not self.denied, "denied under iam/tailor-airflow-policy.json:\n" + "\n".join(
            dict.fromkeys(self.denied)
        )
