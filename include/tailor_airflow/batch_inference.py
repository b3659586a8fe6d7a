"""Bedrock batch inference jobs: when a night uses them, submitting one (a retried task
finds its job again), waiting for jobs in the triggerer, and reading a job's replies."""

from __future__ import annotations

import logging
from typing import Any

from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook

from tailor.evaluation.batch import FAILED, INPUT_FILE, RUNNING, USABLE, converse_replies
from tailor.settings import Backend, Settings
from tailor.storage import write_atomic
from tailor_airflow.config import storage_path
from tailor_airflow.hooks import aws_connection, aws_hook
from tailor_airflow.polling import Poll, PollingTrigger

log = logging.getLogger(__name__)


def batch_night(settings: Settings, questions: int) -> bool:
    """Whether tonight's Bedrock calls run as batch jobs: aws, at least `batch_threshold`
    questions, and what a job needs (a service role, an S3 data_root); a large night that
    lacks them says which setting would halve its token cost and answers online."""
    if settings.backend is not Backend.AWS or not settings.batch_threshold:
        return False
    if questions < settings.batch_threshold:
        return False
    missing = [name for name, ok in (("batch_role_arn", settings.batch_role_arn),
                                     ("an s3:// data_root", settings.data_root.startswith("s3://")))
               if not ok]  # fmt: skip
    if missing:
        log.warning(f"{questions} questions reach batch_threshold, but batch inference needs "
                    f"{' and '.join(missing)}: answering and judging online")  # fmt: skip
    return not missing


def submit_job(settings: Settings, folder: Any, name: str, model_id: str,
               records: bytes | None, try_number: int) -> str:  # fmt: skip
    """Write the records under `folder` (None: they are there already) and start a Converse
    batch job on them.

    The job's name is its idempotency token, so a retry of the same run attempt gets the job
    it already started back; only when that job failed does a retry start a new one.
    """
    if records is not None:
        write_atomic(folder / INPUT_FILE, records)
    bedrock = aws_hook(BedrockHook, settings).conn
    arn = _create(bedrock, settings, folder, name, model_id)
    status = bedrock.get_model_invocation_job(jobIdentifier=arn)["status"]
    if status in FAILED and try_number > 1:
        log.info(f"Batch job {name} ended {status}: starting it again (try {try_number})")
        arn = _create(bedrock, settings, folder, f"{name[:58]}-r{try_number}", model_id)
    log.info(f"Batch job {name}: {arn} ({status})")
    return arn


def _create(bedrock, settings: Settings, folder: Any, name: str, model_id: str) -> str:
    return bedrock.create_model_invocation_job(
        jobName=name,
        clientRequestToken=name,
        roleArn=settings.batch_role_arn,
        modelId=model_id,
        modelInvocationType="Converse",
        inputDataConfig={"s3InputDataConfig": {
            "s3Uri": (folder / INPUT_FILE).as_uri(), "s3InputFormat": "JSONL"}},
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": (folder / "output").as_uri() + "/"}},
        timeoutDurationInHours=settings.batch_timeout_hours,
    )["jobArn"]  # fmt: skip


def job_replies(settings: Settings, job_arn: str, count: int) -> list[dict[str, Any] | None]:
    """A finished job's Converse replies in request order (None: that record failed).

    Bedrock writes ``<output s3Uri>/<job id>/<input file>.out``; a job that ended Failed,
    Stopped or Expired is an error with its message, an unknown state too.
    """
    job = aws_hook(BedrockHook, settings).conn.get_model_invocation_job(jobIdentifier=job_arn)
    if job["status"] not in USABLE:
        raise RuntimeError(f"batch job {job['jobName']} ended {job['status']}: "
                           f"{job.get('message', 'no message')}")  # fmt: skip
    output = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].rstrip("/")
    path = storage_path(settings, f"{output}/{job_arn.rsplit('/', 1)[1]}/{INPUT_FILE}.out")
    replies = converse_replies(path.read_bytes() if path.exists() else b"", str(path), count)
    failed = sum(r is None for r in replies)
    log.info(f"Batch job {job['jobName']} {job['status']}: {count - failed}/{count} replies")
    return replies


def jobs_trigger(settings: Settings, job_arns: list[str]) -> BatchJobsTrigger:
    poll = settings.batch_poll_seconds
    attempts = settings.batch_timeout_hours * 3600 // poll + 2  # the jobs' own timeout, and some
    return BatchJobsTrigger(job_arns, **aws_connection(settings), poll_interval=poll,
                            max_attempts=attempts)  # fmt: skip


class BatchJobsTrigger(PollingTrigger):
    """Wait until every listed batch inference job has ended, whatever state it ends in.

    Not the provider's BedrockBatchInferenceCompletedTrigger: it fails PartiallyCompleted (a
    job whose good records Tailor keeps) and gives up after 2.5 h (a job may run for days).
    """

    def __init__(
        self,
        job_arns: list[str],
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        poll_interval: float = 60,
        max_attempts: int = 1442,
    ) -> None:
        super().__init__(poll_interval, max_attempts)
        self.job_arns = list(job_arns)
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    async def poll(self) -> Poll:
        hook = BedrockHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
        async with await hook.get_async_conn() as client:
            states = {arn: (await client.get_model_invocation_job(jobIdentifier=arn))["status"]
                      for arn in self.job_arns}  # fmt: skip
        unknown = {arn: s for arn, s in states.items() if s not in RUNNING | USABLE | FAILED}
        if unknown:
            return Poll(end={"status": "error", "message": f"unknown job states {unknown}"})
        running = {arn: s for arn, s in states.items() if s in RUNNING}
        if not running:
            return Poll(end={"status": "done", "jobs": states})
        return Poll(progress=f"{len(running)} of {len(states)} batch jobs running: "
                             f"{sorted(set(running.values()))}", seen={"jobs": states})  # fmt: skip
