"""Scaling on aws, faked only at the hook boundary (moto has no inference components)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from airflow.sdk.exceptions import AirflowSkipException, TaskDeferred

from tailor.endpoint.events import load_events
from tailor.endpoint.leases import LeaseBook
from tailor.endpoint.observe import EndpointNotFound
from tailor_airflow.scaling import ScaleEndpointOperator, ScalingFailed
from tailor_airflow.scaling_triggers import (
    EndpointDeletedTrigger,
    EndpointTrigger,
    InferenceComponentTrigger,
)
from tests.support.aws_stubs import stubbed_hook, trigger_events

COMPONENT, ENDPOINT, CONFIG = "tailor-llm-ic", "tailor-llm", "tailor-llm-config"
NOW = datetime(2026, 11, 16, 20, tzinfo=UTC)


def component(current: int, desired: int, status: str = "InService") -> dict:
    return {
        "InferenceComponentName": COMPONENT,
        "InferenceComponentArn": f"arn:aws:sagemaker:us-east-1:123456789012:inference-component/{COMPONENT}",
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
        "RuntimeConfig": {"CurrentCopyCount": current, "DesiredCopyCount": desired},
        "InferenceComponentStatus": status,
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
    }


def endpoint(status: str) -> dict:
    return {
        "EndpointName": ENDPOINT,
        "EndpointArn": f"arn:aws:sagemaker:us-east-1:123456789012:endpoint/{ENDPOINT}",
        "EndpointConfigName": CONFIG,
        "EndpointStatus": status,
        "ProductionVariants": [{"VariantName": "AllTraffic", "CurrentInstanceCount": 1}],
        "CreationTime": NOW,
        "LastModifiedTime": NOW,
    }


@pytest.fixture
def sagemaker(monkeypatch):
    with stubbed_hook(monkeypatch, SageMakerHook, "sagemaker") as stubber:
        yield stubber


@pytest.fixture
def aws(tmp_path, tailor_settings):
    def configure(**values):
        tailor_settings(
            backend="aws",
            data_root=str(tmp_path),
            endpoint_poll_seconds=30,
            endpoint_timeout_minutes=10,
            **values,
        )

    return configure


def context(run_id: str = "scheduled__2026-11-16T20:00:00+00:00") -> dict:
    return {
        "dag": SimpleNamespace(dag_id="endpoint_schedule"),
        "run_id": run_id,
        "dag_run": SimpleNamespace(run_after=NOW),
    }


def scale(target) -> ScaleEndpointOperator:
    return ScaleEndpointOperator(task_id="scale_endpoint", target_copies=target, reason="test")


def test_component_scales_to_zero_and_waits_deferrably(sagemaker, aws, tmp_path):
    aws(inference_component_name=COMPONENT)
    name = {"InferenceComponentName": COMPONENT}
    sagemaker.add_response("describe_inference_component", component(1, 1), name)
    sagemaker.add_response(
        "update_inference_component_runtime_config",
        {"InferenceComponentArn": component(0, 0)["InferenceComponentArn"]},
        {**name, "DesiredRuntimeConfig": {"CopyCount": 0}},
    )
    with pytest.raises(TaskDeferred) as deferred:
        scale(0).execute(context())
    trigger = deferred.value.trigger
    assert isinstance(trigger, InferenceComponentTrigger)
    assert (trigger.component_name, trigger.target, trigger.max_attempts) == (COMPONENT, 0, 20)
    (event,) = load_events(tmp_path / "endpoint" / "events")
    assert (event.from_copies, event.to_copies, event.reason) == (1, 0, "test")

    for current in (1, 1, 0):  # converging
        sagemaker.add_response("describe_inference_component", component(current, 0), name)
    trigger.poll_interval = 0
    (done,) = trigger_events(trigger)
    assert done == {"status": "converged", "copies": 0, "state": "InService, 0 of 0 copies"}
    assert scale(0).execute_complete(context(), done, target=0) == {"copies": 0, "changed": True}


def test_not_converging_in_time_fails_with_the_last_state(sagemaker, aws):
    trigger = InferenceComponentTrigger(COMPONENT, target=1, poll_interval=0, max_attempts=3)
    for _ in range(3):
        sagemaker.add_response(
            "describe_inference_component",
            component(0, 1, "Updating"),
            {"InferenceComponentName": COMPONENT},
        )
    (event,) = trigger_events(trigger)
    assert (event["status"], event["state"]) == ("timeout", "Updating, 0 of 1 copies")
    with pytest.raises(ScalingFailed, match="still Updating, 0 of 1 copies"):
        scale(1).execute_complete(context(), event, target=1)


def test_failed_component_stops_the_wait_at_once(sagemaker, aws):
    trigger = InferenceComponentTrigger(COMPONENT, target=1, poll_interval=0, max_attempts=10)
    failed = {**component(0, 1, "Failed"), "FailureReason": "insufficient capacity"}
    sagemaker.add_response(
        "describe_inference_component", failed, {"InferenceComponentName": COMPONENT}
    )
    (event,) = trigger_events(trigger)
    assert event["status"] == "failed"
    with pytest.raises(ScalingFailed, match="insufficient capacity"):
        scale(1).execute_complete(context(), event, target=1)


def test_asking_for_the_current_count_returns_at_once(sagemaker, aws, tmp_path):
    aws(inference_component_name=COMPONENT)
    sagemaker.add_response(
        "describe_inference_component", component(1, 1), {"InferenceComponentName": COMPONENT}
    )
    assert scale(1).execute(context()) == {"copies": 1, "changed": False}
    assert load_events(tmp_path / "endpoint" / "events") == []


def test_unknown_component_is_a_clear_error(sagemaker, aws):
    aws(inference_component_name=COMPONENT)
    sagemaker.add_client_error(
        "describe_inference_component",
        service_error_code="ValidationException",
        service_message=f'Could not find inference component "{COMPONENT}".',
        expected_params={"InferenceComponentName": COMPONENT},
    )
    with pytest.raises(EndpointNotFound, match=f"inference component '{COMPONENT}' not found"):
        scale(0).execute(context())


def test_a_lease_blocks_scaling_to_zero(sagemaker, aws, tmp_path):
    aws(inference_component_name=COMPONENT)
    LeaseBook(tmp_path / "endpoint" / "leases").acquire("nightly_eval/run7", "run7", minutes=60)
    sagemaker.add_response(
        "describe_inference_component", component(1, 1), {"InferenceComponentName": COMPONENT}
    )
    with pytest.raises(AirflowSkipException, match="in use by nightly_eval/run7"):
        scale(0).execute(context())


def test_legacy_endpoint_is_deleted_at_zero_and_recreated_after_deleting(sagemaker, aws, tmp_path):
    aws(endpoint_name=ENDPOINT, endpoint_kind="legacy")
    name = {"EndpointName": ENDPOINT}
    sagemaker.add_response("describe_endpoint", endpoint("InService"), name)  # observe
    sagemaker.add_response("describe_endpoint", endpoint("InService"), name)  # before delete
    sagemaker.add_response("delete_endpoint", {}, name)
    with pytest.raises(TaskDeferred) as down:
        scale(0).execute(context())
    assert isinstance(down.value.trigger, EndpointDeletedTrigger)  # botocore's waiter
    assert down.value.trigger.waiter_args == name

    # the morning: the endpoint is still Deleting, so wait for it to be gone first
    sagemaker.add_response("describe_endpoint", endpoint("Deleting"), name)
    with pytest.raises(TaskDeferred) as waiting:
        scale(1).execute(context("scheduled__2026-11-17T07:00:00+00:00"))
    assert waiting.value.method_name == "resume"
    assert isinstance(waiting.value.trigger, EndpointDeletedTrigger)
    gone = {"status": "success", "endpoint_name": ENDPOINT}

    not_found = {
        "service_error_code": "ValidationException",
        "service_message": f'Could not find endpoint "{ENDPOINT}".',
        "expected_params": name,
    }
    sagemaker.add_client_error("describe_endpoint", **not_found)
    sagemaker.add_response(
        "create_endpoint",
        {"EndpointArn": endpoint("Creating")["EndpointArn"]},
        {**name, "EndpointConfigName": CONFIG},
    )
    with pytest.raises(TaskDeferred) as up:
        scale(1).resume(context("scheduled__2026-11-17T07:00:00+00:00"), gone)
    assert isinstance(up.value.trigger, EndpointTrigger) and up.value.trigger.target == 1
    assert up.value.method_name == "execute_complete"
    recorded = load_events(tmp_path / "endpoint" / "events")
    assert [(e.from_copies, e.to_copies) for e in recorded] == [(1, 0), (0, 1)]


def test_legacy_endpoint_unknown_everywhere_is_a_clear_error(sagemaker, aws):
    aws(endpoint_name=ENDPOINT, endpoint_kind="legacy")
    sagemaker.add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message=f'Could not find endpoint "{ENDPOINT}".',
    )
    with pytest.raises(EndpointNotFound, match="no EndpointConfig is known"):
        scale(1).execute(context())


def test_endpoint_deleted_wait_ends_when_describe_says_not_found(sagemaker):
    trigger = EndpointDeletedTrigger(ENDPOINT, waiter_delay=0, waiter_max_attempts=5)
    name = {"EndpointName": ENDPOINT}
    sagemaker.add_response("describe_endpoint", endpoint("Deleting"), name)
    sagemaker.add_client_error(
        "describe_endpoint",
        service_error_code="ValidationException",
        service_message=f'Could not find endpoint "{ENDPOINT}".',
        expected_params=name,
    )
    assert trigger_events(trigger) == [{"status": "success", "endpoint_name": ENDPOINT}]


def test_endpoint_that_fails_while_deleting_fails_the_scale_down(sagemaker):
    trigger = EndpointDeletedTrigger(ENDPOINT, waiter_delay=0, waiter_max_attempts=5)
    failed = {**endpoint("Failed"), "FailureReason": "cannot release capacity"}
    sagemaker.add_response("describe_endpoint", failed, {"EndpointName": ENDPOINT})
    (event,) = trigger_events(trigger)
    assert event["status"] == "error"
    with pytest.raises(ScalingFailed, match="cannot release capacity"):
        scale(0).execute_complete(context(), event, target=0)
