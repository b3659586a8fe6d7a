"""A night not finished in time is loud: the deadline's interval, and its callback reaching the
same notifiers as a regression (the log; SNS over aiobotocore, as the triggerer calls it)."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from tailor.evaluation.deadline import deadline_interval
from tailor_airflow.notifiers import deadline_missed
from tests.support.aws_iam import IamEnforcer, admin_client, shipped_policy
from tests.support.moto_server import reset

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)


def test_the_interval_runs_from_the_cron_to_the_next_clock_time_in_the_timezone():
    assert deadline_interval("0 1 * * *", "07:00", "utc", NOW) == timedelta(hours=6)
    assert deadline_interval("30 23 * * *", "07:00", "Europe/Berlin", NOW) == timedelta(
        hours=7, minutes=30
    )  # past midnight: the next morning
    assert deadline_interval("0 1 * * *", "01:00", "UTC", NOW) == timedelta(days=1)
    with pytest.raises(ValueError, match="TAILOR_EVAL_DEADLINE must be a time of day HH:MM"):
        deadline_interval("0 1 * * *", "7am", "UTC", NOW)


CONTEXT = {
    "dag_run": {"dag_run_id": "scheduled__2026-11-22T01:00:00+00:00", "state": "running"},
    "deadline": {"id": "d1", "deadline_time": "2026-11-22T07:00:00+00:00"},
}


def test_a_missed_deadline_logs_the_run_and_when_it_was_due(monkeypatch, caplog):
    monkeypatch.delenv("TAILOR_REGRESSION_SNS_TOPIC", raising=False)
    with caplog.at_level(logging.WARNING):
        asyncio.run(deadline_missed(CONTEXT))
    assert "Tailor: nightly_eval missed its deadline: nightly_eval scheduled__2026-11-22" in (
        caplog.text
    )
    assert "had not finished by 2026-11-22T07:00:00+00:00 (state running)" in caplog.text


def test_a_missed_deadline_publishes_to_the_regression_topic_under_the_shipped_policy(
    moto_server, monkeypatch
):
    reset(moto_server)
    region = "eu-west-1"
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv(
        "AIRFLOW_CONN_AWS_DEFAULT",
        json.dumps({"conn_type": "aws", "extra": {"endpoint_url": moto_server}}),
    )
    sns = admin_client("sns", region_name=region, endpoint_url=moto_server)
    sqs = admin_client("sqs", region_name=region, endpoint_url=moto_server)
    topic = sns.create_topic(Name="tailor-regressions")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["Attributes"]["QueueArn"])
    monkeypatch.setenv("TAILOR_REGRESSION_SNS_TOPIC", topic)
    policy = shipped_policy(
        Region=region,
        Account="123456789012",
        Bucket="b",
        Prefix="p",
        KnowledgeBaseId="KB00000001",
        ExecutionRoleName="r",
        BatchRoleName="b",
        CustomizationRoleName="c",
    )
    iam = IamEnforcer(policy).install(monkeypatch)

    asyncio.run(deadline_missed(CONTEXT))  # the triggerer's way: awaited, aiobotocore

    iam.assert_nothing_denied()
    assert [c[:2] for c in iam.calls] == [("sns", "Publish")]
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    body = json.loads(message["Body"])
    assert body["Subject"] == "Tailor: nightly_eval missed its deadline"
    assert "scheduled__2026-11-22T01:00:00+00:00 had not finished by" in body["Message"]
