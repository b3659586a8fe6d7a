"""The aws kb_sync path, faked only at the hook boundary with botocore's Stubber.

Asserts the exact requests: the idempotent clientToken, waiting out a running job on
ConflictException, and that STOPPED or failed documents never pass as success.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook
from airflow.sdk.exceptions import TaskDeferred
from aws_stubs import StrictStubber as Stubber
from aws_stubs import stubbed_hook, trigger_events
from botocore.stub import ANY

from tailor.ingestion import IngestionJobFailed, check_ingestion_job, client_token
from tailor_airflow.ingestion_trigger import IngestionJobTrigger
from tailor_airflow.knowledge_base import SyncKnowledgeBaseOperator

KB, DS = "KB12345678", "DS12345678"
PLAN = {"manifest_hash": "a" * 64, "previous_hash": "b" * 64}
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def job(job_id: str, status: str, failed: int = 0, reasons: list[str] | None = None) -> dict:
    return {
        "knowledgeBaseId": KB,
        "dataSourceId": DS,
        "ingestionJobId": job_id,
        "status": status,
        "statistics": {"numberOfDocumentsScanned": 16, "numberOfDocumentsFailed": failed},
        "failureReasons": reasons or [],
        "startedAt": NOW,
        "updatedAt": NOW,
    }


@pytest.fixture
def bedrock(monkeypatch, tailor_settings):
    tailor_settings(
        backend="aws",
        knowledge_base_id=KB,
        data_source_id=DS,
        ingestion_poll_seconds=10,
        ingestion_timeout_minutes=1,
    )
    with stubbed_hook(monkeypatch, BedrockAgentHook, "bedrock-agent") as stubber:
        yield stubber


def expect_start(stubber: Stubber, job_id: str = "OURS000001") -> None:
    stubber.add_response(
        "start_ingestion_job",
        {"ingestionJob": job(job_id, "STARTING")},
        {
            "knowledgeBaseId": KB,
            "dataSourceId": DS,
            "clientToken": client_token(PLAN["manifest_hash"], PLAN["previous_hash"]),
            "description": ANY,
        },
    )


def expect_get(stubber: Stubber, job_id: str, *statuses: str, **kwargs) -> None:
    for status in statuses:
        stubber.add_response(
            "get_ingestion_job",
            {"ingestionJob": job(job_id, status, **kwargs)},
            {"knowledgeBaseId": KB, "dataSourceId": DS, "ingestionJobId": job_id},
        )


def operator() -> SyncKnowledgeBaseOperator:
    return SyncKnowledgeBaseOperator(task_id="sync_knowledge_base", plan=PLAN)


def test_start_sends_a_client_token_so_a_retry_reattaches(bedrock):
    token = client_token(PLAN["manifest_hash"], PLAN["previous_hash"])
    assert 33 <= len(token) <= 256 and token == client_token("a" * 64, "b" * 64)
    assert token != client_token("a" * 64, None)
    for _attempt in range(2):  # the task and its retry send the same request
        expect_start(bedrock)
        with pytest.raises(TaskDeferred) as deferred:
            operator().execute({})
        trigger = deferred.value.trigger
        assert (trigger.ingestion_job_id, deferred.value.method_name) == (
            "OURS000001",
            "execute_complete",
        )
        assert trigger.poll_interval == 10 and trigger.max_attempts == 6
    classpath, kwargs = trigger.serialize()
    assert classpath == "tailor_airflow.ingestion_trigger.IngestionJobTrigger"
    assert IngestionJobTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_conflict_waits_for_the_running_job_then_starts_ours(bedrock):
    bedrock.add_client_error(
        "start_ingestion_job", service_error_code="ConflictException", http_status_code=409
    )
    bedrock.add_response(
        "list_ingestion_jobs",
        {
            "ingestionJobSummaries": [
                {k: v for k, v in job("OTHER00001", "IN_PROGRESS").items() if k != "failureReasons"}
            ]
        },
        {
            "knowledgeBaseId": KB,
            "dataSourceId": DS,
            "filters": [
                {"attribute": "STATUS", "operator": "EQ", "values": ["STARTING", "IN_PROGRESS"]}
            ],
        },
    )
    with pytest.raises(TaskDeferred) as deferred:
        operator().execute({})
    assert deferred.value.trigger.ingestion_job_id == "OTHER00001"
    assert deferred.value.method_name == "execute_after_conflict"

    expect_get(bedrock, "OTHER00001", "IN_PROGRESS", "COMPLETE")
    deferred.value.trigger.poll_interval = 0
    (event,) = trigger_events(deferred.value.trigger)
    assert event["job"]["status"] == "COMPLETE"

    expect_start(bedrock)
    with pytest.raises(TaskDeferred) as ours:
        operator().execute_after_conflict({}, event, **deferred.value.kwargs)
    assert (ours.value.trigger.ingestion_job_id, ours.value.method_name) == (
        "OURS000001",
        "execute_complete",
    )


def test_trigger_polls_until_the_job_leaves_running_states(bedrock):
    trigger = IngestionJobTrigger(KB, DS, "OURS000001", poll_interval=0, max_attempts=5)
    expect_get(
        bedrock, "OURS000001", "STARTING", "IN_PROGRESS", "STOPPED", reasons=["stopped by user"]
    )
    (event,) = trigger_events(trigger)
    assert event == {
        "status": "done",
        "job": {
            "ingestionJobId": "OURS000001",
            "status": "STOPPED",
            "statistics": {"numberOfDocumentsScanned": 16, "numberOfDocumentsFailed": 0},
            "failureReasons": ["stopped by user"],
        },
    }
    with pytest.raises(IngestionJobFailed, match="ended STOPPED: stopped by user"):
        operator().execute_complete({}, event)


def test_trigger_times_out_with_the_last_state(bedrock):
    trigger = IngestionJobTrigger(KB, DS, "OURS000001", poll_interval=0, max_attempts=2)
    expect_get(bedrock, "OURS000001", "IN_PROGRESS", "IN_PROGRESS")
    (event,) = trigger_events(trigger)
    assert (event["status"], event["job"]["status"]) == ("timeout", "IN_PROGRESS")
    with pytest.raises(TimeoutError, match="still IN_PROGRESS"):
        operator().execute_complete({}, event)


def test_failed_documents_fail_the_sync_by_default(bedrock):
    expect_get(bedrock, "OURS000001", "COMPLETE", failed=2, reasons=["2 files too large"])
    (event,) = trigger_events(
        IngestionJobTrigger(KB, DS, "OURS000001", poll_interval=0, max_attempts=1)
    )
    with pytest.raises(IngestionJobFailed, match="2 of 16 scanned documents failed"):
        operator().execute_complete({}, event)


def test_failed_documents_only_warn_when_configured(bedrock, tailor_settings):
    tailor_settings(
        backend="aws", knowledge_base_id=KB, data_source_id=DS, fail_on_failed_documents=False
    )
    event = {
        "status": "done",
        "job": {**job("OURS000001", "COMPLETE", failed=1), "startedAt": None},
    }
    result = operator().execute_complete({}, event)
    assert (result["backend"], result["ingestionJobId"]) == ("aws", "OURS000001")


@pytest.mark.parametrize("status", ["FAILED", "STOPPING", "STOPPED", "SOMETHING_NEW", None])
def test_only_complete_is_success(status):
    with pytest.raises(IngestionJobFailed, match=f"ended {status}"):
        check_ingestion_job({"ingestionJobId": "J", "status": status, "failureReasons": ["x"]})
    assert (
        check_ingestion_job({"ingestionJobId": "J", "status": "COMPLETE", "statistics": {}}) == []
    )


def test_missing_aws_settings_are_named(bedrock, tailor_settings):
    tailor_settings(backend="aws", knowledge_base_id=KB)
    with pytest.raises(Exception, match="data_source_id"):
        operator().execute({})
