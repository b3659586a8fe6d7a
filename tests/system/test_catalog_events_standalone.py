"""Sync on catalog events, end to end on the shared `airflow standalone`: files uploaded to the
catalog bucket (moto) notify the SQS queue, kb_sync's AssetWatcher turns them into an asset
event in the triggerer, and the scheduler starts kb_sync; one upload makes one sync, or one
more if a run is already in progress."""

from __future__ import annotations

import boto3
import pytest

from tests.support.standalone import (
    CATALOG_BUCKET,
    CATALOG_PREFIX,
    CATALOG_QUEUE,
    MOTO_CREDENTIALS,
    wait_for,
)

CREDENTIALS = {
    "aws_access_key_id": MOTO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
    "aws_secret_access_key": MOTO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
}


@pytest.fixture(scope="module")
def server(airflow_standalone):
    airflow_standalone.airflow.cli("dags", "unpause", "kb_sync")
    yield airflow_standalone
    airflow_standalone.airflow.cli("dags", "pause", "kb_sync")


def runs(airflow) -> dict[str, dict]:
    return {r["dag_run_id"]: r for r in airflow.api("dags/kb_sync/dagRuns?limit=100")["dag_runs"]}


def triggered(airflow, known: set[str]) -> list[dict]:
    """The asset-triggered runs since `known`: the upload's."""
    found = runs(airflow).items()
    return [r for i, r in found if i not in known and r["run_type"] == "asset_triggered"]


def settled(server, known: set[str]) -> bool:
    """The queue holds no message (waiting or being read), no asset event waits for a kb_sync
    run, and every run since `known` has ended."""
    sqs = boto3.client("sqs", endpoint_url=server.moto, region_name="us-east-1", **CREDENTIALS)
    url = sqs.get_queue_url(QueueName=CATALOG_QUEUE)["QueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    queued = server.airflow.api("dags/kb_sync/assets/queuedEvents")["total_entries"]
    ended = all(
        r["state"] in ("success", "failed")
        for i, r in runs(server.airflow).items()
        if i not in known
    )
    return not queued and ended and all(int(counts[n]) == 0 for n in names)


def test_an_upload_to_the_catalog_bucket_starts_one_kb_sync(server):
    airflow = server.airflow
    s3 = boto3.client(
        "s3",
        endpoint_url=server.moto,
        region_name="us-east-1",
        **CREDENTIALS,
    )
    known = set(runs(airflow))
    for n in range(3):  # one upload of three files
        s3.put_object(Bucket=CATALOG_BUCKET, Key=f"{CATALOG_PREFIX}part-{n}.txt", Body=b"Name: X")
    wait_for(airflow, lambda: triggered(airflow, known), "a kb_sync from the upload", 180)
    # a second run, if the burst was read in two batches, has started once the queue is drained
    # and no asset event waits for a run, seen on two polls in a row (a message just read may
    # not be an asset event yet on the first)
    seen = []
    wait_for(
        airflow,
        lambda: seen.append(settled(server, known)) or seen[-2:] == [True, True],
        "every catalog event to have its run",
    )
    new = triggered(airflow, known)  # unpausing may add a scheduled run: not the upload's
    assert 1 <= len(new) <= 2, new
    assert {r["state"] for r in new} == {"success"}, new
    events = airflow.api(f"dags/kb_sync/dagRuns/{new[0]['dag_run_id']}/upstreamAssetEvents")
    assert {e["name"] for e in events["asset_events"]} == {"tailor_catalog_changes"}
