"""The aws kb_sync path, faked only at the hook boundary with botocore's Stubber.

Asserts the exact requests: the idempotent clientToken, waiting out a running job on
ConflictException, and that STOPPED or failed documents never pass as success.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook
from airflow.sdk.exceptions import TaskDeferred
from botocore.stub import ANY

from tailor.ingestion import IngestionJobFailed, check_ingestion_job, client_token
from tailor_airflow.ingestion_trigger import IngestionJobTrigger
from tailor_airflow.knowledge_base import SyncKnowledgeBaseOperator
from tests.support.aws_stubs import StrictStubber as Stubber
from tests.support.aws_stubs import stubbed_hook, trigger_events

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


def expect_start(
    stubber: Stubber, job_id: str = "OURS000001", status: str = "STARTING", after_job: str = ""
) -> None:
    stubber.add_response(
        "start_ingestion_job",
        {"ingestionJob": job(job_id, status)},
        {
            "knowledgeBaseId": KB,
            "dataSourceId": DS,
            "clientToken": client_token(PLAN["manifest_hash"], PLAN["previous_hash"], after_job),
            "description": ANY,
        },
    )


RUNNING = {
    "attribute": "STATUS",
    "operator": "EQ",
    "values": ["IN_PROGRESS", "STARTING", "STOPPING"],
}


def expect_running(stubber: Stubber, source: str, *jobs: dict) -> None:
    summaries = [{k: v for k, v in j.items() if k != "failureReasons"} for j in jobs]
    stubber.add_response(
        "list_ingestion_jobs",
        {"ingestionJobSummaries": summaries},
        {"knowledgeBaseId": KB, "dataSourceId": source, "filters": [RUNNING]},
    )


def expect_sources(stubber: Stubber, *sources: str) -> None:
    stubber.add_response(
        "list_data_sources",
        {
            "dataSourceSummaries": [
                {
                    "knowledgeBaseId": KB,
                    "dataSourceId": s,
                    "name": f"source-{s}",
                    "status": "AVAILABLE",
                    "updatedAt": NOW,
                }
                for s in sources
            ]
        },
        {"knowledgeBaseId": KB},
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
    expect_sources(bedrock, DS)
    expect_running(bedrock, DS, job("OTHER00001", "IN_PROGRESS"))
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


def test_failed_documents_only_warn_when_configured(bedrock, tailor_settings, capsys, caplog):
    tailor_settings(
        backend="aws", knowledge_base_id=KB, data_source_id=DS, fail_on_failed_documents=False
    )
    event = {
        "status": "done",
        "job": {**job("OURS000001", "COMPLETE", failed=1), "startedAt": None},
    }
    result = operator().execute_complete({}, event)
    assert (result["backend"], result["ingestionJobId"]) == ("aws", "OURS000001")
    logged = capsys.readouterr().out + caplog.text
    assert "ingestion job OURS000001: 1 of" in logged and "scanned documents failed" in logged


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


def test_a_token_whose_job_failed_starts_a_new_job_and_a_retry_follows_the_same_chain(bedrock):
    """Bedrock ignores a token it has seen: after FAILED or STOPPED, a new token, a new job."""
    for _attempt in range(2):  # the task, then its retry: the same requests, the same job
        expect_start(bedrock, "FAILED0001", "FAILED")
        expect_start(bedrock, "STOPPED001", "STOPPED", after_job="FAILED0001")
        expect_start(bedrock, "NEWJOB0001", after_job="STOPPED001")
        with pytest.raises(TaskDeferred) as deferred:
            operator().execute({})
        assert deferred.value.trigger.ingestion_job_id == "NEWJOB0001"


def test_stopping_is_waited_until_the_job_has_stopped(bedrock):
    expect_get(bedrock, "OURS000001", "IN_PROGRESS", "STOPPING", "STOPPED", reasons=["stopped"])
    trigger = IngestionJobTrigger(KB, DS, "OURS000001", poll_interval=0, max_attempts=5)
    (event,) = trigger_events(trigger)
    assert (event["status"], event["job"]["status"]) == ("done", "STOPPED")
    with pytest.raises(IngestionJobFailed, match="ended STOPPED: stopped"):
        check_ingestion_job(event["job"])


def test_a_conflict_from_another_data_source_of_the_knowledge_base_is_waited_out(bedrock):
    bedrock.add_client_error(
        "start_ingestion_job", service_error_code="ConflictException", http_status_code=409
    )
    expect_sources(bedrock, DS, "DS87654321")
    expect_running(bedrock, DS)  # nothing on ours
    expect_running(
        bedrock, "DS87654321", {**job("SIBLING001", "STOPPING"), "dataSourceId": "DS87654321"}
    )
    with pytest.raises(TaskDeferred) as deferred:
        operator().execute({})
    trigger = deferred.value.trigger
    assert (trigger.data_source_id, trigger.ingestion_job_id) == ("DS87654321", "SIBLING001")
    assert deferred.value.method_name == "execute_after_conflict"
