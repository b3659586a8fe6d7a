"""A SageMaker training job that ended Failed is retried as a new attempt, against moto with
the sagemaker SDK's own JumpStart request (tests/support/jumpstart_hub.py) and the shipped IAM policy.

moto finishes every training job at once; DescribeTrainingJob is answered from moto's record
with the status a test gives a job's name, as SageMaker would report it.
"""

from __future__ import annotations

import json

import pytest

from tests.support.aws_http import install
from tests.support.aws_iam import admin_client
from tests.support.aws_night import AWS_SETTINGS, BUCKET, ROLE
from tests.support.aws_requests import moto_json

VERSION = "ft-202611210300-abcdef12"


def training_jobs(http, moto: str, ended: dict[str, tuple[str, str]]) -> None:
    """DescribeTrainingJob from moto, with the (status, reason) `ended` gives a job's name."""

    def describe(where: str, body: dict) -> dict:
        job = moto_json(moto, "POST", "/", "sagemaker", body, "SageMaker.DescribeTrainingJob")
        if body["TrainingJobName"] in ended:
            status, reason = ended[body["TrainingJobName"]]
            job.update(TrainingJobStatus=status, SecondaryStatus=status, FailureReason=reason)
        return job

    http.respond("SageMaker.DescribeTrainingJob", describe)


@pytest.fixture
def sagemaker(aws_mode, monkeypatch, tailor_settings):
    from tailor_airflow.training import TrainModelOperator
    from tests.support.jumpstart_hub import answer_hub_content

    tailor_settings(**AWS_SETTINGS, training_role_arn=ROLE)
    http = install(monkeypatch, passthrough=True)
    answer_hub_content(http)  # the sagemaker SDK builds the real JumpStart request
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_mode.meta.endpoint_url)
    aws_mode.put_object(Bucket=BUCKET, Key=f"tailor/models/{VERSION}/train/train.jsonl", Body=b"{}")
    reattached = []  # staging after training is tests/models/test_aws_finetune.py's
    monkeypatch.setattr(
        TrainModelOperator,
        "after_training",
        lambda self, ctx, event: reattached.append(event) or {"reattached": True},
    )
    return http, admin_client("sagemaker", endpoint_url=aws_mode.meta.endpoint_url)


def train():
    from tailor_airflow.training import TrainModelOperator
    from tests.support.finetune_run import CANDIDATE

    training = {
        "version": VERSION,
        "method": "instruction_tuning",
        "train_uri": f"s3://{BUCKET}/tailor/models/{VERSION}/train",
    }
    return TrainModelOperator(task_id="train", training=training, candidate=CANDIDATE)


def test_a_failed_training_job_gets_a_new_attempt_and_a_retry_reattaches_to_it(
    aws_mode,
    sagemaker,
    moto_server,
):
    """SageMaker never runs a training job name twice: a retry that re-attached to the failed
    job failed at once, every try."""
    from airflow.sdk.exceptions import TaskDeferred

    from tailor_airflow.sagemaker_model import resource_name
    from tests.support.finetune_run import context

    http, client = sagemaker
    first = resource_name(VERSION)
    second = f"{first}-a2"
    ended = {first: ("Failed", "AlgorithmError: CUDA out of memory")}
    training_jobs(http, moto_server, ended)
    with pytest.raises(TaskDeferred) as deferred:
        train().execute(context())
    assert deferred.value.trigger.job_name == first

    with pytest.raises(TaskDeferred) as deferred:  # the retry, after the job failed
        train().execute(context())
    assert deferred.value.trigger.job_name == second
    assert train().execute(context()) == {"reattached": True}  # moto finished it: no third
    names = sorted(
        j["TrainingJobName"] for j in client.list_training_jobs()["TrainingJobSummaries"]
    )
    assert names == [first, second]
    attempts = json.loads(
        aws_mode.get_object(Bucket=BUCKET, Key=f"tailor/models/{VERSION}/attempts/{VERSION}.json")[
            "Body"
        ].read()
    )
    assert [(a["name"], a["status"]) for a in attempts] == [(first, "Failed"), (second, "started")]
    assert attempts[0]["message"] == "AlgorithmError: CUDA out of memory"
    assert all(a["arn"].endswith(f"training-job/{a['name']}") for a in attempts)


def test_a_stopped_training_job_fails_without_retries_or_another_attempt(
    sagemaker,
    moto_server,
):
    from airflow.sdk.exceptions import AirflowFailException, TaskDeferred

    from tailor_airflow.sagemaker_model import resource_name
    from tests.support.finetune_run import context

    http, client = sagemaker
    first = resource_name(VERSION)
    training_jobs(http, moto_server, {first: ("Stopped", "")})
    with pytest.raises(TaskDeferred):
        train().execute(context())
    with pytest.raises(AirflowFailException, match=f"training job {first} was stopped"):
        train().execute(context())
    assert len(client.list_training_jobs()["TrainingJobSummaries"]) == 1
