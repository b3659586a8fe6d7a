"""The canned-reply check (tests/support/aws_shapes.py) rejects what AWS could never send."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.aws_shapes import InvalidReply, validate_reply

NOW = datetime(2026, 11, 21, tzinfo=UTC)
JOB = {
    "knowledgeBaseId": "KB00000001",
    "dataSourceId": "DS00000001",
    "ingestionJobId": "JOB0000001",
    "status": "COMPLETE",
    "startedAt": NOW,
    "updatedAt": NOW,
}


def test_a_reply_aws_could_send_passes():
    validate_reply("bedrock-agent", "GetIngestionJob", {"ingestionJob": JOB})


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"ingestionJobId": "OURS"}, r"does not match \[0-9a-zA-Z\]\{10\}"),
        ({"status": "DONE"}, "is not one of"),
        ({"startedAt": "yesterday"}, "is not a timestamp"),
        ({"unknownMember": 1}, "not a member"),
    ],
)
def test_a_reply_aws_could_not_send_fails_naming_the_member(change, complaint):
    with pytest.raises(InvalidReply, match=complaint):
        validate_reply("bedrock-agent", "GetIngestionJob", {"ingestionJob": {**JOB, **change}})


def test_missing_required_members_and_short_accounts_fail():
    component = {
        "InferenceComponentName": "tailor-ft-1",
        "EndpointName": "tailor-endpoint",
        "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/tailor-endpoint",
    }
    with pytest.raises(InvalidReply) as error:
        validate_reply("sagemaker", "DescribeInferenceComponent", component)
    assert "InferenceComponentArn: required member missing" in str(error.value)
    assert "[0-9]{12}" in str(error.value)  # a 12-digit account in every ARN
