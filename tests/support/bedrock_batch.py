"""Bedrock batch inference as AWS runs it, for the strict aws emulation (moto has none).

Answers CreateModelInvocationJob and GetModelInvocationJob below the real botocore clients
(aws_http), every reply checked against botocore's model. A create request is held to
botocore's input shape (patterns and lengths: the job name's, the client token's), and a
repeated client token gets the first request's reply and starts nothing
(tests/support/aws_requests.py). A model in ``refuse_models`` (no batch support, an inference profile
Bedrock does not batch) gets AWS's ValidationException. A job runs as Bedrock runs it: as
the service role Tailor passes (its shipped policy must let it read the records and write
the replies, or the job fails as on AWS), from the JSONL input in (moto's) S3 — each
record's id and Converse body validated, and fewer records than the model's minimum (its
Service Quotas value, else 100) failing the job — to ``<output>/<job id>/<input file>.out``
with one ``modelOutput`` (a validated Converse reply) or ``error`` per record, and
``manifest.json.out`` with the counts. A job is Submitted, then InProgress, and has ended by
its third look (the creator's own included). Service Quotas (tests/support/service_quotas.py) lists
the per-model minimums in ``quotas``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import botocore.session
from botocore.validate import ParamValidator

from tests.support.aws_http import AwsError, FakeHttp
from tests.support.aws_iam import ACCOUNT, Authorization, is_allowed, role_refusal
from tests.support.aws_requests import TokenMemory, validate_request
from tests.support.aws_shapes import validate_reply
from tests.support.service_quotas import Quota, answer_quotas

RECORD_ID = re.compile(r"^[A-Za-z0-9]{11}$")
_CONVERSE = (
    botocore.session.get_session()
    .get_service_model("bedrock-runtime")
    .operation_model("Converse")
    .input_shape
)
MINIMUM_QUOTA = "Minimum number of records per batch inference job for {}"
DEFAULT_MINIMUM = 100


@dataclass(frozen=True)
class BatchQuota:
    """A model's Service Quotas entry "Minimum number of records per batch inference job for
    <name>"; `applied` False: ListServiceQuotas leaves it out (no applied value is known)
    and only ListAWSDefaultServiceQuotas has it."""

    name: str  # the model's name as the quota names it, e.g. "Llama 3.1 8B Instruct"
    minimum: int = DEFAULT_MINIMUM
    applied: bool = True


@dataclass
class Job:
    arn: str
    request: dict
    looks: int = 0
    status: str = "Submitted"
    message: str = ""
    counts: dict = field(default_factory=dict)


@dataclass
class BedrockBatch:
    """`converse(url, body)` answers each record as the online Converse would; `fail_records`
    are record indexes every job answers with an error; `role_policy` is the service role's;
    `quotas` the per-model minimums by model id; `refuse_models` model id -> AWS's message;
    `lose_output` job-name parts whose jobs end Completed without their output file;
    `before_run(job)` is called as a job starts running (the world moving meanwhile)."""

    s3: object  # an admin client on the same S3: the service, not Tailor, reads and writes
    role_policy: dict
    converse: Callable[[str, dict], dict]
    fail_records: set[int] = field(default_factory=set)
    quotas: dict[str, BatchQuota] = field(default_factory=dict)
    refuse_models: dict[str, str] = field(default_factory=dict)
    lose_output: set[str] = field(default_factory=set)
    before_run: Callable[[Job], None] | None = None
    jobs: dict[str, Job] = field(default_factory=dict)  # by id
    tokens: TokenMemory = field(default_factory=TokenMemory)

    def install(self, http: FakeHttp) -> BedrockBatch:
        http.respond("/model-invocation-job", self.handle)
        answer_quotas(
            http,
            [
                Quota("bedrock", MINIMUM_QUOTA.format(q.name), float(q.minimum), q.applied)
                for q in self.quotas.values()
            ],
        )
        return self

    def handle(self, where: str, body: dict) -> dict:
        if where.startswith("POST "):
            return self.create(body)
        job_id = where.split("/model-invocation-job/")[1].split(" ")[0].rsplit("%2F", 1)[-1]
        job = self.jobs.get(job_id.rsplit("/", 1)[-1])
        if job is None:
            raise AwsError("ResourceNotFoundException", f"no job {job_id}", 404)
        return self.look(job)

    def create(self, body: dict) -> dict:
        validate_request("bedrock", "CreateModelInvocationJob", body)
        token = body.get("clientRequestToken")
        if first := self.tokens.recall(token):
            return first  # ignored, as Bedrock says: the same job, nothing new started
        if body["modelId"] in self.refuse_models:
            raise AwsError("ValidationException", self.refuse_models[body["modelId"]])
        if any(j.request["jobName"] == body["jobName"] for j in self.jobs.values()):
            raise AwsError("ConflictException", f"job name {body['jobName']} is in use")
        job_id = hashlib.sha256(body["jobName"].encode()).hexdigest()[:12]
        arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-invocation-job/{job_id}"
        self.jobs[job_id] = Job(arn, body)
        reply = {"jobArn": arn}
        self.tokens.remember(token, reply, body["jobName"])  # jobs are never deleted
        return reply

    def look(self, job: Job) -> dict:
        job.looks += 1
        if job.status == "Submitted" and job.looks >= 2:
            job.status = "InProgress"
        elif job.status == "InProgress" and job.looks >= 3:
            if self.before_run:
                self.before_run(job)
            self.run(job)
        request = job.request
        reply = {
            "jobArn": job.arn,
            "jobName": request["jobName"],
            "modelId": request["modelId"],
            "roleArn": request["roleArn"],
            "status": job.status,
            "submitTime": datetime(2026, 11, 20, 1, tzinfo=UTC).timestamp(),
            "inputDataConfig": request["inputDataConfig"],
            "outputDataConfig": request["outputDataConfig"],
            "modelInvocationType": request.get("modelInvocationType", "InvokeModel"),
            "timeoutDurationInHours": request.get("timeoutDurationInHours", 24),
            **job.counts,
        }
        if request.get("clientRequestToken"):
            reply["clientRequestToken"] = request["clientRequestToken"]
        if job.message:
            reply["message"] = job.message
        return reply

    def minimum(self, model: str) -> int:
        quota = self.quotas.get(model)
        return quota.minimum if quota else DEFAULT_MINIMUM

    def run(self, job: Job) -> None:
        """Read the records as the service role, answer each, write the replies."""
        request = job.request
        if refusal := role_refusal(self.role_policy, request["modelId"]):  # the job's model
            job.status, job.message = "Failed", refusal
            return
        source = request["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
        bucket, key = source.removeprefix("s3://").split("/", 1)
        if not self._role_may("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"):
            job.status, job.message = "Failed", f"Access denied reading {source} as the role"
            return
        lines = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
        model = request["modelId"]
        records = [json.loads(line) for line in lines if line.strip()]
        if len(records) < self.minimum(model):
            job.status = "Failed"
            job.message = (
                f"The job has {len(records)} records, fewer than the minimum of "
                f"{self.minimum(model)} for {model}"
            )
            return
        out, failed = [], 0
        for index, record in enumerate(records):
            assert RECORD_ID.match(record["recordId"]), record["recordId"]
            body = record["modelInput"]
            assert request.get("modelInvocationType") == "Converse", "records are Converse bodies"
            ParamValidator().validate({**body, "modelId": model}, _CONVERSE)
            if index in self.fail_records:
                failed += 1
                out.append(
                    {**record, "error": {"errorCode": 500, "errorMessage": "Internal server error"}}
                )
                continue
            reply = self.converse(f"POST /model/{model}/converse batch", body)
            validate_reply("bedrock-runtime", "Converse", reply)
            out.append({**record, "modelOutput": reply})
        target = request["outputDataConfig"]["s3OutputDataConfig"]["s3Uri"].rstrip("/")
        out_bucket, out_prefix = target.removeprefix("s3://").split("/", 1)
        job_id = job.arn.rsplit("/", 1)[1]
        out_key = f"{out_prefix}/{job_id}/{key.rsplit('/', 1)[1]}.out"
        if not self._role_may("s3:PutObject", f"arn:aws:s3:::{out_bucket}/{out_key}"):
            job.status, job.message = "Failed", f"Access denied writing {target} as the role"
            return
        if not any(part in request["jobName"] for part in self.lose_output):
            body = "".join(json.dumps(r) + "\n" for r in out).encode()
            self.s3.put_object(Bucket=out_bucket, Key=out_key, Body=body)
        manifest = {
            "totalRecordCount": len(out),
            "processedRecordCount": len(out),
            "successRecordCount": len(out) - failed,
            "errorRecordCount": failed,
        }
        self.s3.put_object(
            Bucket=out_bucket,
            Key=f"{out_prefix}/{job_id}/manifest.json.out",
            Body=json.dumps(manifest).encode(),
        )
        job.counts = manifest
        job.status = "PartiallyCompleted" if failed else "Completed"

    def _role_may(self, action: str, resource: str) -> bool:
        return is_allowed(self.role_policy, Authorization(action, resource))
