"""Preflight of the catalog queue kb_sync follows (`catalog_queue_url`).

The watcher fails in the triggerer, long after setup, when the queue is missing or its name is
outside the shipped policy's `tailor-*`; and a queue whose policy does not let S3 send gets no
notification at all, silently (S3 drops them). The queue policy is read and evaluated here for
the one request S3 makes: sqs:SendMessage by the S3 service, from the catalog bucket.
"""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase

from airflow.providers.amazon.aws.hooks.sqs import SqsHook
from botocore.exceptions import ClientError

from tailor.settings import Settings
from tailor.storage import s3_location
from tailor_airflow.aws_errors import error_matches
from tailor_airflow.hooks import aws_hook
from tailor_airflow.preflight_check import Check, as_list

POLICY_QUEUES = "tailor-*"  # iam/tailor-airflow-policy.json CatalogEvents
FIX = "docs/kb-sync.md: Sync on catalog events (the queue, its policy, the bucket's notification)"


def _like(pattern: str, value: str, case: bool = True) -> bool:
    """IAM's wildcards: * any run of characters, ? one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, 0 if case else re.IGNORECASE) is not None


CONDITIONS = {
    "ArnLike": _like,
    "StringLike": _like,
    "ArnEquals": str.__eq__,
    "StringEquals": str.__eq__,
}


def _statement_applies(statement: dict, queue_arn: str, request: dict[str, str]) -> bool:
    """Whether a statement covers S3 sending to this queue with these condition values; a
    condition it cannot evaluate makes it not apply (for an Allow: not counted)."""
    principal = statement.get("Principal")
    if principal != "*" and not (
        isinstance(principal, dict)
        and (
            "s3.amazonaws.com" in as_list(principal.get("Service"))
            or "*" in as_list(principal.get("AWS"))
        )
    ):
        return False
    if not any(_like(a, "sqs:SendMessage", case=False) for a in as_list(statement.get("Action"))):
        return False
    if not any(_like(r, queue_arn) for r in as_list(statement.get("Resource", "*"))):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        test = CONDITIONS.get(operator)
        for key, wanted in keys.items():
            have = request.get(key.lower())
            if test is None or have is None or not any(test(w, have) for w in as_list(wanted)):
                return False
    return True


def bucket_may_send(policy: dict | None, queue_arn: str, bucket: str, account: str) -> bool:
    """S3 delivers the bucket's notifications: an Allow, and no Deny, of sqs:SendMessage by
    the S3 service on this queue from this bucket (aws:SourceArn) of this account
    (aws:SourceAccount: the queue's own, as a same-account setup has it)."""
    request = {"aws:sourcearn": f"arn:aws:s3:::{bucket}", "aws:sourceaccount": account}
    statements = as_list((policy or {}).get("Statement"))
    applies = [s for s in statements if _statement_applies(s, queue_arn, request)]
    return any(s.get("Effect") == "Allow" for s in applies) and not any(
        s.get("Effect") == "Deny" for s in applies
    )


def check_catalog_queue(settings: Settings) -> Check:
    """The queue exists, the shipped policy may read it, and the catalog bucket may send to it."""
    url = settings.catalog_queue_url
    account, name = url.rstrip("/").split("/")[-2:]
    bucket, _ = s3_location(settings.catalog_uri)
    if not fnmatchcase(name, POLICY_QUEUES):
        return Check(
            "catalog queue",
            False,
            f"{name} is not named {POLICY_QUEUES}: the shipped policy reads no other queue",
            f"name the queue {POLICY_QUEUES}, or widen CatalogEvents in the policy",
        )
    client = aws_hook(SqsHook, settings).conn
    try:
        attributes = client.get_queue_attributes(
            QueueUrl=url, AttributeNames=["QueueArn", "Policy"]
        )["Attributes"]
    except ClientError as err:
        if not error_matches(
            err, lambda code, message: "NonExistentQueue" in code or code == "QueueDoesNotExist"
        ):
            raise
        return Check("catalog queue", False, f"no queue at {url}", f"create it: {FIX}")
    policy = json.loads(attributes["Policy"]) if attributes.get("Policy") else None
    sends = bucket_may_send(policy, attributes["QueueArn"], bucket, account)
    return Check(
        "catalog queue",
        sends,
        f"{name} exists; its policy {'lets' if sends else 'does not let'} s3://{bucket} send",
        f"let S3 send from arn:aws:s3:::{bucket} in the queue policy: {FIX}",
    )
