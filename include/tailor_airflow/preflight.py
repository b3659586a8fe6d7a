"""Go / no-go before the first run on a real AWS account: `tailor preflight`.

One table of checks, each OK or FAIL with the fix for a failure. Everything is read-only
but one probe object that is written and deleted under Tailor's own prefix (to show the
bucket is writable). The CLI and the `tailor_preflight` DAG run this same code, through the
same Airflow connection and settings the DAGs use. The model-id checks are in
`preflight_models`, the catalog queue's in `preflight_queue`.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from botocore.exceptions import ClientError

from tailor.settings import Backend, Settings
from tailor.storage import s3_location
from tailor_airflow.aws_errors import describe_or_none
from tailor_airflow.hooks import aws_hook
from tailor_airflow.preflight_check import Check, as_list
from tailor_airflow.quotas import quota_values

REQUIRED = ("region_name", "knowledge_base_id", "data_source_id")
# what each fine-tuning service needs beside: SageMaker an endpoint and its role, Bedrock a role
REQUIRED_BY_SERVICE = {
    "sagemaker": ("endpoint_name", "training_role_arn"),
    "bedrock": ("customization_role_arn",),
}


@dataclass(frozen=True)
class Role:
    """A service role Tailor passes: the setting naming it, the service that assumes it."""

    check: str
    setting: str
    service: str
    trust_file: str


ROLES = {
    "sagemaker": Role(
        "execution role", "training_role_arn", "sagemaker", "sagemaker-execution-role-trust.json"
    ),
    "bedrock": Role(
        "customization role",
        "customization_role_arn",
        "bedrock",
        "bedrock-customization-role-trust.json",
    ),
    "batch": Role("batch role", "batch_role_arn", "bedrock", "bedrock-batch-role-trust.json"),
}


def check_settings(settings: Settings) -> Check:
    problems = [] if settings.backend is Backend.AWS else ["tailor_backend is not 'aws'"]
    needed = REQUIRED + REQUIRED_BY_SERVICE[settings.finetune_service]
    problems += [f"{name} missing" for name in needed if not getattr(settings, name)]
    if not settings.data_root.startswith("s3://"):
        problems.append("data_root is not an s3:// location")
    return Check(
        "settings",
        not problems,
        "; ".join(problems) or "complete",
        "set them in the Airflow Variable tailor_settings (docs/aws-setup.md)",
    )


def check_bucket(settings: Settings) -> Check:
    bucket, prefix = s3_location(settings.data_root)
    client = aws_hook(S3Hook, settings).conn
    probe = f"{prefix}/_preflight/{uuid.uuid4().hex}.txt"
    client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/", MaxKeys=1)
    client.put_object(Bucket=bucket, Key=probe, Body=b"tailor preflight")
    client.delete_object(Bucket=bucket, Key=probe)
    return Check("bucket", True, f"s3://{bucket}/{prefix}/ listable and writable")


def check_knowledge_base(settings: Settings) -> Check:
    client = aws_hook(BedrockAgentHook, settings).conn
    kb = client.get_knowledge_base(knowledgeBaseId=settings.knowledge_base_id)["knowledgeBase"]
    source = client.get_data_source(
        knowledgeBaseId=settings.knowledge_base_id, dataSourceId=settings.data_source_id
    )["dataSource"]
    problems = []
    if kb["status"] != "ACTIVE":
        problems.append(f"knowledge base is {kb['status']}")
    if source["status"] != "AVAILABLE":
        problems.append(f"data source is {source['status']}")
    s3 = source["dataSourceConfiguration"].get("s3Configuration") or {}
    bucket, prefix = s3_location(settings.catalog_uri)
    prefixes = s3.get("inclusionPrefixes") or [""]
    if s3.get("bucketArn") != f"arn:aws:s3:::{bucket}" or not any(
        prefix.startswith(p.rstrip("/")) or p.startswith(prefix) for p in prefixes
    ):
        problems.append(
            f"data source reads {s3.get('bucketArn')} {prefixes}, "
            f"not the catalog at {settings.catalog_uri}"
        )
    return Check(
        "knowledge base",
        not problems,
        "; ".join(problems)
        or f"{kb['name']} ACTIVE; data source {source['name']} AVAILABLE on the catalog",
        "point catalog_uri at the data source's S3 location, or sync the data source",
    )


def check_models(settings: Settings) -> Check:
    from tailor_airflow.judges import preflight as judge_preflight

    models = [settings.rag_model_id, *settings.judges]
    usable, left_out = judge_preflight(settings, models)
    detail = "; ".join(f"{m}: {why}" for m, why in left_out.items())
    return Check(
        "bedrock models",
        not left_out,
        detail or f"{len(usable)} models invocable",
        "request model access in the Bedrock console, or change rag_model_id/judges "
        "(and the policy's model ARNs)",
    )


def check_role(settings: Settings, role: Role) -> Check:
    """The role exists under the ARN the settings give (its path included: the console puts
    service roles under role/service-role/) and trusts the service that assumes it."""
    arn = getattr(settings, role.setting)
    name = arn.rsplit("/", 1)[-1]  # GetRole takes the name alone, whatever the role's path
    client = aws_hook(AwsBaseHook, settings, client_type="iam").conn
    try:
        found = client.get_role(RoleName=name)["Role"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
        return Check(
            role.check,
            False,
            f"{arn}: no role named {name}",
            f"create it with iam/{role.trust_file} (docs/aws-setup.md)",
        )
    trust = found["AssumeRolePolicyDocument"]
    trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    services = {
        s for st in trust["Statement"] for s in as_list(st.get("Principal", {}).get("Service"))
    }
    problems = [] if found["Arn"] == arn else [f"{role.setting} says {arn}"]
    if f"{role.service}.amazonaws.com" not in services:
        problems.append(f"trusted by {sorted(services) or 'nobody'}")
    return Check(
        role.check,
        not problems,
        "; ".join([f"{found['Arn']}", *problems])
        if problems
        else f"{found['Arn']} trusted by {sorted(services)}",
        f"set {role.setting} to the role's ARN and use iam/{role.trust_file} as its trust policy",
    )


def check_batch_role(settings: Settings) -> Check:
    """Large nights run as batch jobs only with a batch role; without one they answer online."""
    if settings.batch_role_arn:
        return check_role(settings, ROLES["batch"])
    return Check(
        "batch role",
        True,
        f"not set: nights of {settings.batch_threshold}+ questions answer online at "
        "the on-demand price (set batch_role_arn for batch jobs)",
    )


def check_quotas(settings: Settings) -> Check:
    wanted = {
        f"{settings.training_instance_type} for training job usage": 1,
        f"{settings.inference_instance_type} for endpoint usage": max(1, settings.endpoint_copies)
        + 1,
    }
    found = quota_values(settings, "sagemaker", wanted)
    short = [
        f"{name}: {found[name]:g} (need {need})"
        if name in found
        else f"{name}: no such quota in {settings.region_name}"
        for name, need in wanted.items()
        if found.get(name, 0) < need
    ]
    return Check(
        "service quotas",
        not short,
        "; ".join(short) or "; ".join(f"{n}: {found[n]:g}" for n in wanted),
        "request an increase in the Service Quotas console (SageMaker)",
    )


def check_endpoint(settings: Settings) -> Check:
    client = aws_hook(SageMakerHook, settings).conn
    endpoint = describe_or_none(client.describe_endpoint, EndpointName=settings.endpoint_name)
    if endpoint is None:
        return Check("endpoint", True, f"{settings.endpoint_name} absent: finetune creates it")
    status = endpoint["EndpointStatus"]
    return Check(
        "endpoint",
        status == "InService",
        f"{settings.endpoint_name} {status}",
        endpoint.get("FailureReason", "wait for it, or delete a failed endpoint"),
    )


def run_checks(settings: Settings) -> list[Check]:
    """Every check; one that AWS refuses is a FAIL that carries AWS's message."""
    first = check_settings(settings)
    if not first.ok:
        return [first]
    from tailor_airflow.preflight_models import (
        check_batch_models,
        check_customization_base_model,
        check_model_ids,
    )
    from tailor_airflow.preflight_queue import check_catalog_queue

    role = ROLES[settings.finetune_service]
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("bucket", lambda: check_bucket(settings)),
        ("knowledge base", lambda: check_knowledge_base(settings)),
        ("bedrock models", lambda: check_models(settings)),
        ("model ids", lambda: check_model_ids(settings)),
        (role.check, lambda: check_role(settings, role)),
    ]
    if settings.batch_threshold:
        checks.append(("batch role", lambda: check_batch_role(settings)))
    if settings.batch_threshold and settings.batch_role_arn:
        checks.append(("batch models", lambda: check_batch_models(settings)))
    if settings.catalog_queue_url:
        checks.append(("catalog queue", lambda: check_catalog_queue(settings)))
    if settings.finetune_service == "sagemaker":  # Bedrock customization uses neither
        checks += [
            ("service quotas", lambda: check_quotas(settings)),
            ("endpoint", lambda: check_endpoint(settings)),
        ]
    else:
        checks.append(
            ("customization base model", lambda: check_customization_base_model(settings))
        )
    results = [first]
    for name, check in checks:
        try:
            results.append(check())
        except ClientError as err:
            error = err.response.get("Error", {})
            results.append(
                Check(
                    name,
                    False,
                    f"{error.get('Code')}: {error.get('Message')}",
                    "grant iam/tailor-airflow-policy.json to Airflow's role",
                )
            )
    return results


def table(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        lines.append(f"{'OK  ' if c.ok else 'FAIL'}  {c.name:<{width}}  {c.detail}")
        if not c.ok:
            lines.append(f"{'':6}{'':<{width}}  fix: {c.fix}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`tailor preflight`: the table on stdout; exit status 1 on any FAIL."""
    parser = argparse.ArgumentParser(prog="tailor", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["preflight"])
    parser.parse_args(argv)
    from tailor_airflow.config import load_settings

    checks = run_checks(load_settings())
    sys.stdout.write(table(checks) + "\n")
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
