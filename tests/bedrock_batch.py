"""Bedrock batch inference as AWS runs it, for the strict aws emulation (moto has none).

Answers CreateModelInvocationJob and GetModelInvocationJob below the real botocore clients
(aws_http), every reply checked against botocore's model. A job runs as Bedrock runs it: as
the service role Tailor passes (its shipped policy must let it read the records and write the
replies, or the job fails as on AWS), from the JSONL input in (moto's) S3 — each record's id
and Converse body validated — to ``<output>/<job id>/<input file>.out`` with one
``modelOutput`` (a validated Converse reply) or ``error`` per record, and a manifest. A job
is Submitted, then InProgress, and has ended by its third look (the creator's own included).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import botocore.session
from aws_http import AwsError, FakeHttp
from aws_iam import ACCOUNT, Authorization, is_allowed
from aws_shapes import validate_reply
from botocore.validate import ParamValidator

RECORD_ID = re.compile(r"^[A-Za-z0-9]{11}$")
_CONVERSE = botocore.session.get_session().get_service_model("bedrock-runtime").operation_model(
    "Converse").input_shape  # fmt: skip


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
    are record indexes every job answers with an error; `role_policy` is the service role's."""

    s3: object  # an admin client on the same S3: the service, not Tailor, reads and writes
    role_policy: dict
    converse: Callable[[str, dict], dict]
    fail_records: set[int] = field(default_factory=set)
    jobs: dict[str, Job] = field(default_factory=dict)  # by id
    tokens: dict[str, str] = field(default_factory=dict)  # clientRequestToken -> id

    def install(self, http: FakeHttp) -> BedrockBatch:
        http.respond("/model-invocation-job", self.handle)
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
        token = body.get("clientRequestToken")
        if token in self.tokens:  # idempotent: the same job, nothing new started
            return {"jobArn": self.jobs[self.tokens[token]].arn}
        if any(j.request["jobName"] == body["jobName"] for j in self.jobs.values()):
            raise AwsError("ConflictException", f"job name {body['jobName']} is in use")
        job_id = hashlib.sha256(body["jobName"].encode()).hexdigest()[:12]
        arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-invocation-job/{job_id}"
        self.jobs[job_id] = Job(arn, body)
        if token:
            self.tokens[token] = job_id
        return {"jobArn": arn}

    def look(self, job: Job) -> dict:
        job.looks += 1
        if job.status == "Submitted" and job.looks >= 2:
            job.status = "InProgress"
        elif job.status == "InProgress" and job.looks >= 3:
            self.run(job)
        request = job.request
        reply = {
            "jobArn": job.arn, "jobName": request["jobName"], "modelId": request["modelId"],
            "roleArn": request["roleArn"], "status": job.status,
            "submitTime": datetime(2026, 11, 20, 1, tzinfo=UTC).timestamp(),
            "inputDataConfig": request["inputDataConfig"],
            "outputDataConfig": request["outputDataConfig"],
            "modelInvocationType": request.get("modelInvocationType", "InvokeModel"),
            "timeoutDurationInHours": request.get("timeoutDurationInHours", 24), **job.counts,
        }  # fmt: skip
        if job.message:
            reply["message"] = job.message
        return reply

    def run(self, job: Job) -> None:
        """Read the records as the service role, answer each, write the replies."""
        request = job.request
        source = request["inputDataConfig"]["s3InputDataConfig"]["s3Uri"]
        bucket, key = source.removeprefix("s3://").split("/", 1)
        if not self._role_may("s3:GetObject", f"arn:aws:s3:::{bucket}/{key}"):
            job.status, job.message = "Failed", f"Access denied reading {source} as the role"
            return
        lines = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
        model = request["modelId"]
        out, failed = [], 0
        for index, line in enumerate(line for line in lines if line.strip()):
            record = json.loads(line)
            assert RECORD_ID.match(record["recordId"]), record["recordId"]
            body = record["modelInput"]
            assert request.get("modelInvocationType") == "Converse", "records are Converse bodies"
            ParamValidator().validate({**body, "modelId": model}, _CONVERSE)
            if index in self.fail_records:
                failed += 1
                out.append({**record, "error": {"errorCode": 500,
                                                "errorMessage": "Internal server error"}})  # fmt: skip
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
        body = "".join(json.dumps(r) + "\n" for r in out).encode()
        self.s3.put_object(Bucket=out_bucket, Key=out_key, Body=body)
        manifest = {"totalRecordCount": len(out), "processedRecordCount": len(out),
                    "successRecordCount": len(out) - failed, "errorRecordCount": failed}  # fmt: skip
        self.s3.put_object(Bucket=out_bucket, Key=f"{out_prefix}/{job_id}/manifest.json.out",
                           Body=json.dumps(manifest).encode())  # fmt: skip
        job.counts = manifest
        job.status = "PartiallyCompleted" if failed else "Completed"

    def _role_may(self, action: str, resource: str) -> bool:
        return is_allowed(self.role_policy, Authorization(action, resource))
