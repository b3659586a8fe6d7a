"""Bedrock batch inference jobs: when a night uses them, submitting one (a retried task
finds its job again by the ARN it stored), waiting for jobs in the triggerer, and reading a
job's replies."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook
from airflow.sdk.exceptions import AirflowFailException
from botocore.exceptions import ClientError

from tailor.client_tokens import creation_token
from tailor.evaluation.batch import (
    FAILED,
    INPUT_FILE,
    MINIMUM_QUOTA,
    RUNNING,
    USABLE,
    attempt_name,
    converse_replies,
    output_problem,
    quota_minimum,
)
from tailor.settings import Backend, Settings
from tailor.storage import write_atomic
from tailor_airflow.config import storage_path
from tailor_airflow.hooks import aws_connection, aws_hook
from tailor_airflow.polling import Poll, PollingTrigger
from tailor_airflow.quotas import quotas_starting

log = logging.getLogger(__name__)
JOB = "job.json"  # a part's job: the name its attempts share, and each attempt's name and ARN
REFUSED = "refused"  # <night>/batch/refused/<model>.json: a model Bedrock would not batch
_FILE = re.compile(r"[^A-Za-z0-9.-]+")


class BatchOutputMissing(AirflowFailException):
    """A finished job whose output cannot be read whole. Asking every record again online
    would double the night's token bill silently, and a retry would read the same files."""


def batch_night(settings: Settings, questions: int) -> bool:
    """Whether tonight's Bedrock calls run as batch jobs: aws, at least `batch_threshold`
    questions, and what a job needs (a service role, an S3 data_root); a large night that
    lacks them says which setting would halve its token cost and answers online."""
    if settings.backend is not Backend.AWS or not settings.batch_threshold:
        return False
    if questions < settings.batch_threshold:
        return False
    missing = [
        name
        for name, ok in (
            ("batch_role_arn", settings.batch_role_arn),
            ("an s3:// data_root", settings.data_root.startswith("s3://")),
        )
        if not ok
    ]
    if missing:
        log.warning(
            f"{questions} questions reach batch_threshold, but batch inference needs "
            f"{' and '.join(missing)}: answering and judging online"
        )
    return not missing


def batch_minimums(settings: Settings, model_ids: list[str]) -> dict[str, int | None]:
    """Each model's minimum records per batch job, a per-model Bedrock quota ("Minimum number
    of records per batch inference job for <model name>"): the applied value
    (ListServiceQuotas), else AWS's default (ListAWSDefaultServiceQuotas: ListServiceQuotas
    omits a quota whose applied value is unknown). None where no quota names the model —
    Bedrock may not batch it (the night still tries, at `BATCH_MINIMUM`; preflight can say so)."""
    quotas = quotas_starting(settings, "bedrock", MINIMUM_QUOTA)
    return {model: quota_minimum(quotas, model) for model in model_ids}


def submit_job(
    settings: Settings,
    folder: Any,
    name: str,
    model_id: str,
    records: bytes | None,
    count: int,
    minimum: int,
) -> str | None:
    """Start the part's Converse batch job on its `count` records (written under `folder`
    unless `records` is None: they are there already); its ARN, or None when the part runs
    online instead: fewer records than the model's `minimum`, or Bedrock refused to batch the
    model (a ValidationException: no batch support, an inference profile it does not batch).

    A retry finds the job by the ARN stored in the part's `JOB` before anything is created:
    one that runs or finished is the job; one that ended Failed, Stopped or Expired gets a new
    attempt under a new name and client token (a token names one creation).
    """
    bedrock = aws_hook(BedrockHook, settings).conn
    attempts = _attempts(folder, name)
    if attempts:
        last = attempts[-1]
        status = bedrock.get_model_invocation_job(jobIdentifier=last["arn"])["status"]
        if status not in FAILED:
            log.info(f"Batch job {last['name']}: {last['arn']} ({status})")
            return last["arn"]
        log.info(f"Batch job {last['name']} ended {status}: starting attempt {len(attempts) + 1}")
    elif count < minimum:
        log.info(
            f"{folder.name}: {count} records, fewer than {model_id}'s minimum of {minimum} "
            "per batch job: online"
        )
        return None
    if _refused(folder, model_id):
        return None
    if records is not None:
        write_atomic(folder / INPUT_FILE, records)
    attempt = attempt_name(name, len(attempts) + 1)
    try:
        arn = _create(bedrock, settings, folder, attempt, model_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ValidationException":
            raise
        _refuse(folder, model_id, error.response["Error"].get("Message", ""))
        return None
    attempts.append({"name": attempt, "arn": arn})
    write_atomic(folder / JOB, json.dumps({"name": name, "attempts": attempts}).encode())
    log.info(f"Batch job {attempt}: {arn} started")
    return arn


def _attempts(folder: Any, name: str) -> list[dict[str, str]]:
    """The attempts stored for the job `name` (another name: a cleared run's, not ours)."""
    path = folder / JOB
    stored = json.loads(path.read_text()) if path.exists() else {}
    return list(stored.get("attempts", [])) if stored.get("name") == name else []


def stored_job(folder: Any, name: str) -> str | None:
    """The ARN of the job `name`'s current attempt, as `submit_job` stored it."""
    attempts = _attempts(folder, name)
    return attempts[-1]["arn"] if attempts else None


def _refusal(folder: Any, model_id: str) -> Any:
    return folder.parent / REFUSED / f"{_FILE.sub('_', model_id)}.json"


def _refused(folder: Any, model_id: str) -> bool:
    """Whether Bedrock refused to batch the model earlier tonight (warned then, once)."""
    if not _refusal(folder, model_id).exists():
        return False
    log.info(f"{folder.name}: Bedrock refused batch jobs for {model_id} earlier tonight: online")
    return True


def _refuse(folder: Any, model_id: str, message: str) -> None:
    log.warning(
        f"Bedrock refused a batch job for {model_id} ({message}): its part of the night runs online"
    )
    write_atomic(
        _refusal(folder, model_id), json.dumps({"model": model_id, "message": message}).encode()
    )


def _create(bedrock, settings: Settings, folder: Any, name: str, model_id: str) -> str:
    return bedrock.create_model_invocation_job(
        jobName=name,
        clientRequestToken=creation_token(name, "batch job"),  # one name per attempt
        roleArn=settings.batch_role_arn,
        modelId=model_id,
        modelInvocationType="Converse",
        inputDataConfig={
            "s3InputDataConfig": {"s3Uri": (folder / INPUT_FILE).as_uri(), "s3InputFormat": "JSONL"}
        },
        outputDataConfig={"s3OutputDataConfig": {"s3Uri": (folder / "output").as_uri() + "/"}},
        timeoutDurationInHours=settings.batch_timeout_hours,
    )["jobArn"]


def job_replies(settings: Settings, job_arn: str, count: int) -> list[dict[str, Any] | None]:
    """A finished job's Converse replies in request order (None: that record failed).

    Bedrock writes ``<output s3Uri>/<job id>/<input file>.out`` and ``manifest.json.out``
    beside it. A job that ended Failed, Stopped or Expired is an error with its message, an
    unknown state too; a usable job whose output is missing, or disagrees with its manifest's
    counts, fails without retries naming what was looked for (`BatchOutputMissing`).
    """
    job = aws_hook(BedrockHook, settings).conn.get_model_invocation_job(jobIdentifier=job_arn)
    name, status = job["jobName"], job["status"]
    if status not in USABLE:
        raise RuntimeError(f"batch job {name} ended {status}: {job.get('message', 'no message')}")
    output = job["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].rstrip("/")
    written = f"{output}/{job_arn.rsplit('/', 1)[1]}"
    path = storage_path(settings, f"{written}/{INPUT_FILE}.out")
    manifest_path = storage_path(settings, f"{written}/manifest.json.out")
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else None
    if not path.exists():
        raise BatchOutputMissing(
            f"batch job {name} ended {status} but its output {path} is missing (manifest "
            f"{manifest_path}: {manifest or 'missing too'}); its {count} records are not asked "
            "again online: see what Bedrock wrote under the job's output, then rerun the night"
        )
    if manifest is None:
        log.warning(f"Batch job {name}: no {manifest_path}: its counts are not cross-checked")
    replies = converse_replies(path.read_bytes(), str(path), count)
    if problem := output_problem(replies, manifest, count):
        raise BatchOutputMissing(
            f"batch job {name} ended {status}, but {problem} ({path}, "
            f"{manifest_path}): not read as failed records"
        )
    failed = sum(r is None for r in replies)
    log.info(f"Batch job {name} {status}: {count - failed}/{count} replies")
    return replies


def jobs_trigger(settings: Settings, job_arns: list[str]) -> BatchJobsTrigger:
    poll = settings.batch_poll_seconds
    attempts = settings.batch_timeout_hours * 3600 // poll + 2  # the jobs' own timeout, and some
    return BatchJobsTrigger(
        job_arns, **aws_connection(settings), poll_interval=poll, max_attempts=attempts
    )


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
            states = {
                arn: (await client.get_model_invocation_job(jobIdentifier=arn))["status"]
                for arn in self.job_arns
            }
        unknown = {arn: s for arn, s in states.items() if s not in RUNNING | USABLE | FAILED}
        if unknown:
            return Poll(end={"status": "error", "message": f"unknown job states {unknown}"})
        running = {arn: s for arn, s in states.items() if s in RUNNING}
        if not running:
            return Poll(end={"status": "done", "jobs": states})
        return Poll(
            progress=f"{len(running)} of {len(states)} batch jobs running: "
            f"{sorted(set(running.values()))}",
            seen={"jobs": states},
        )
