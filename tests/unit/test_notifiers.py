"""Regression alerts reach the SNS topic under the shipped IAM policy, in the topic's region."""

from __future__ import annotations

from types import SimpleNamespace

from moto import mock_aws

from tailor_airflow.notifiers import regression_notifiers
from tests.support.aws_iam import IamEnforcer, admin_client, shipped_policy

TOPIC_REGION = "eu-west-1"


def test_the_sns_notifier_publishes_to_the_topic_in_its_own_region(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the worker's region is not the topic's
    with mock_aws():
        sns, sqs = (
            admin_client("sns", region_name=TOPIC_REGION),
            admin_client("sqs", region_name=TOPIC_REGION),
        )
        topic = sns.create_topic(Name="tailor-regressions")["TopicArn"]
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
        monkeypatch.setenv("TAILOR_REGRESSION_SNS_TOPIC", topic)
        policy = shipped_policy(
            Region=TOPIC_REGION,
            Account="123456789012",
            Bucket="b",
            Prefix="p",
            KnowledgeBaseId="KB00000001",
            ExecutionRoleName="r",
            BatchRoleName="b",
            CustomizationRoleName="c",
        )
        iam = IamEnforcer(policy).install(monkeypatch)

        (_, sns_notifier) = regression_notifiers()
        sns_notifier.notify({"dag_run": SimpleNamespace(run_id="scheduled__2026-11-21")})

        iam.assert_nothing_denied()
        assert [c[:2] for c in iam.calls] == [("sns", "Publish")]
        (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
        assert "nightly_eval" in message["Body"] and "regressed" in message["Body"]
