"""Every trigger Tailor defers on survives the triggerer's round trip: serialize, import the
class by its path, rebuild it from the kwargs, serialize again."""

from __future__ import annotations

import pytest
from airflow.sdk.module_loading import import_string

from tailor_airflow.batch_inference import BatchJobsTrigger
from tailor_airflow.bedrock_customization import CustomModelDeploymentTrigger
from tailor_airflow.ingestion_trigger import IngestionJobTrigger
from tailor_airflow.polling import PollingTrigger
from tailor_airflow.scaling_triggers import (
    EndpointDeletedTrigger,
    EndpointTrigger,
    InferenceComponentTrigger,
    LocalServerTrigger,
    ProvisionedThroughputTrigger,
)

AWS = {"aws_conn_id": "tailor_aws", "region_name": "eu-west-1"}
TRIGGERS = [
    IngestionJobTrigger(
        "KB12345678", "DS12345678", "JOB1234567", poll_interval=5, max_attempts=7, **AWS
    ),
    InferenceComponentTrigger(
        component_name="tailor-v1", target=2, poll_interval=3, max_attempts=9, **AWS
    ),
    EndpointTrigger(
        endpoint_name="tailor-endpoint", target=0, poll_interval=4, max_attempts=6, **AWS
    ),
    LocalServerTrigger(
        state_dir="/tmp/endpoint", port=8011, target=1, poll_interval=1, max_attempts=3
    ),
    BatchJobsTrigger(
        ["arn:aws:bedrock:eu-west-1:123456789012:model-invocation-job/abc123def456"],
        poll_interval=60,
        max_attempts=1442,
        **AWS,
    ),
    CustomModelDeploymentTrigger(
        "arn:aws:bedrock:eu-west-1:123456789012:custom-model-deployment/abc123def456",
        poll_interval=60,
        max_attempts=60,
        **AWS,
    ),
    ProvisionedThroughputTrigger(
        provisioned_model_name="tailor-ft-1", target=1, poll_interval=30, max_attempts=40, **AWS
    ),
]
# botocore's endpoint_deleted waiter through the provider's base trigger, and its serialize
WAITER_TRIGGERS = [
    EndpointDeletedTrigger("tailor-endpoint", waiter_delay=4, waiter_max_attempts=6, **AWS),
]


@pytest.mark.parametrize("trigger", TRIGGERS + WAITER_TRIGGERS, ids=lambda t: type(t).__name__)
def test_serialize_round_trip_keeps_every_argument(trigger):
    classpath, kwargs = trigger.serialize()
    rebuilt = import_string(classpath)(**kwargs)
    assert type(rebuilt) is type(trigger)
    assert rebuilt.serialize() == (classpath, kwargs)
    assert vars(rebuilt).keys() == vars(trigger).keys()
    for name, value in vars(trigger).items():
        if not name.startswith("_") and name not in ("log", "trigger_id", "task_instance"):
            assert getattr(rebuilt, name) == value, name
    if "aws_conn_id" in kwargs:  # the connection travels, not a default
        assert (kwargs["aws_conn_id"], kwargs["region_name"]) == ("tailor_aws", "eu-west-1")


def leaves(cls: type) -> set[type]:
    """The triggers an operator can defer on: the ends of the class chain."""
    subclasses = cls.__subclasses__()
    return set().union(*map(leaves, subclasses)) if subclasses else {cls}


def test_every_polling_trigger_is_round_tripped_here():
    assert {cls for cls in leaves(PollingTrigger) if cls.__module__.startswith("tailor")} == {
        type(t) for t in TRIGGERS
    }
