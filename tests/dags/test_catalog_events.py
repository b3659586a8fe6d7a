"""kb_sync follows the catalog bucket: S3 event notifications to SQS, read by the provider's
SqsSensorTrigger as kb_sync's AssetWatcher, against moto, under the shipped IAM policy."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import unquote_plus

from tests.support.aws_iam import ACCOUNT, IamEnforcer, admin_client, shipped_policy
from tests.support.moto_server import notifying_catalog_bucket, reset
from tests.support.paths import REPO

BUCKET, PREFIX, QUEUE = "acme-catalog", "catalog/", "tailor-catalog-events"


def configure(monkeypatch, moto_server, queue_url: str | None) -> None:
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
    settings = {"backend": "aws", "region_name": "us-east-1"}
    monkeypatch.setenv(
        "AIRFLOW_VAR_TAILOR_SETTINGS",
        json.dumps({**settings, "catalog_queue_url": queue_url} if queue_url else settings),
    )


async def first_event(trigger, timeout: float = 60):
    events = trigger.run()
    try:
        return await asyncio.wait_for(anext(events), timeout)
    finally:
        await events.aclose()


def test_an_upload_reaches_the_watcher_as_one_event_and_leaves_the_queue_empty(
    moto_server, monkeypatch
):
    from tailor_airflow.assets import catalog_changes

    reset(moto_server)
    configure(monkeypatch, moto_server, None)
    s3 = admin_client("s3", endpoint_url=moto_server)
    sqs = admin_client("sqs", endpoint_url=moto_server)
    url = notifying_catalog_bucket(s3, sqs, BUCKET, PREFIX, QUEUE)
    configure(monkeypatch, moto_server, url)
    (watcher,) = catalog_changes().watchers
    policy = shipped_policy(
        Region="us-east-1",
        Account=ACCOUNT,
        Bucket="b",
        Prefix="p",
        KnowledgeBaseId="KB00000001",
        ExecutionRoleName="r",
        BatchRoleName="b",
        CustomizationRoleName="c",
    )
    iam = IamEnforcer(policy).install(monkeypatch)
    uploaded = [f"{PREFIX}part-{n}.txt" for n in range(3)]
    for key in uploaded:  # one upload of three files
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"Name: X\n")
    s3.put_object(Bucket=BUCKET, Key="elsewhere/notes.txt", Body=b"not the catalog")

    event = asyncio.run(first_event(watcher.trigger))

    records = [json.loads(m["Body"])["Records"][0] for m in event.payload["message_batch"]]
    keys = sorted(unquote_plus(r["s3"]["object"]["key"]) for r in records)  # URL-encoded, as S3
    assert keys == uploaded  # one event for the three files; the other prefix is not sent
    assert {r["eventSource"] for r in records} == {"aws:s3"}
    iam.assert_nothing_denied()
    assert iam.actions() == {"sqs:ReceiveMessage", "sqs:DeleteMessage"}
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # deleted on reception


def test_with_a_queue_kb_sync_also_follows_it(moto_server, monkeypatch, airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    configure(monkeypatch, moto_server, None)
    daily = DagBag(dag_folder=str(REPO / "dags" / "kb_sync.py")).get_dag("kb_sync")
    assert type(daily.timetable).__name__ == "CronTriggerTimetable"
    configure(monkeypatch, moto_server, f"{moto_server}/{ACCOUNT}/{QUEUE}")
    following = DagBag(dag_folder=str(REPO / "dags" / "kb_sync.py")).get_dag("kb_sync")
    followed = following.timetable.asset_condition
    assert followed.name == "tailor_catalog_changes"
    (watcher,) = followed.watchers
    assert type(watcher.trigger).__name__ == "SqsSensorTrigger"
    assert watcher.trigger.sqs_queue.endswith(f"/{ACCOUNT}/{QUEUE}")
