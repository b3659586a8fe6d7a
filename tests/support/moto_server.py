"""moto in server mode on the loopback, for code that reaches AWS over HTTP (aiobotocore in
the triggerer, S3 event notifications delivered to SQS): one per session, reset per test."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from tailor.local.ports import reserve_port


@contextmanager
def moto_server_process() -> Iterator[str]:
    port = reserve_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def reset(url: str) -> None:
    """Every test starts from an empty emulator, and no S3 listing cached from the one before
    (Airflow's object stores keep their s3fs filesystems, and s3fs their listings, for the
    process: a test that wrote endpoint events made the next one read keys the reset removed)."""
    from airflow.sdk.io.store import _STORE_CACHE

    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    for store in _STORE_CACHE.values():
        store.fs.invalidate_cache()


def notifying_catalog_bucket(s3, sqs, bucket: str, prefix: str, queue: str) -> str:
    """A catalog bucket whose object events under `prefix` go to the SQS queue `queue`, set up
    as docs/kb-sync.md says (queue policy letting S3 send, bucket notification); the queue's URL.
    S3's test event, sent when the notification is configured, is drained."""
    s3.create_bucket(Bucket=bucket)
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                }
            ]
        },
    )
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return url
