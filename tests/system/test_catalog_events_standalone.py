"""Sync on catalog events, end to end on the shared `airflow standalone`: files uploaded to the
catalog bucket (moto) notify the SQS queue, kb_sync's AssetWatcher turns them into an asset
event in the triggerer, and the scheduler starts kb_sync; one upload makes one sync, or one
more if a run is already in progress."""

from __future__ import annotations

import time

import boto3
import pytest

from tests.support.standalone import CATALOG_BUCKET, CATALOG_PREFIX, MOTO_CREDENTIALS


@pytest.fixture(scope="module")
def server(airflow_standalone):
    airflow_standalone.airflow.cli("dags", "unpause", "kb_sync")
    yield airflow_standalone
    airflow_standalone.airflow.cli("dags", "pause", "kb_sync")


def runs(airflow) -> dict[str, dict]:
    return {r["dag_run_id"]: r for r in airflow.api("dags/kb_sync/dagRuns?limit=100")["dag_runs"]}


def test_an_upload_to_the_catalog_bucket_starts_one_kb_sync(server):
    airflow = server.airflow
    s3 = boto3.client(
        "s3",
        endpoint_url=server.moto,
        region_name="us-east-1",
        aws_access_key_id=MOTO_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    known = set(runs(airflow))
    for n in range(3):  # one upload of three files
        s3.put_object(Bucket=CATALOG_BUCKET, Key=f"{CATALOG_PREFIX}part-{n}.txt", Body=b"Name: X")
    deadline = time.monotonic() + 180
    while not (new := [r for i, r in runs(airflow).items() if i not in known]) or any(
        r["state"] not in ("success", "failed") for r in new
    ):
        assert time.monotonic() < deadline, (
            f"no kb_sync from the upload: {new}\n{airflow.log_tail()}"
        )
        time.sleep(5)
    time.sleep(30)  # a second run, if the burst was read in two batches, has started by now
    new = [r for i, r in runs(airflow).items() if i not in known]
    assert 1 <= len(new) <= 2, new
    assert {r["run_type"] for r in new} == {"asset_triggered"}
    assert {r["state"] for r in new} == {"success"}, new
    events = airflow.api(f"dags/kb_sync/dagRuns/{new[0]['dag_run_id']}/upstreamAssetEvents")
    assert {e["name"] for e in events["asset_events"]} == {"tailor_catalog_changes"}
