"""Bedrock model customization as AWS runs it, for the strict aws emulation.

moto keeps customization jobs and custom models (CreateModelCustomizationJob goes on to moto
and is validated there too) but never runs a job, and has no custom model deployments or
provisioned throughput. Below the real botocore clients (aws_http), this answers:

- CreateModelCustomizationJob: the request held to botocore's input shape (patterns, lengths:
  the client token's among them), then moto's job; a repeated client token gets the first
  request's reply and creates nothing (tests/support/aws_requests.py: tokens are remembered 36 hours
  after what they made is gone);
- GetModelCustomizationJob, by name or by ARN: moto's record, Completed by the first look (the
  emulation has no training time), or Failed with a message for a job named in ``fail_jobs``;
- Create/Get/DeleteCustomModelDeployment and Create/Get/DeleteProvisionedModelThroughput, by
  name or ARN: the request held to botocore's input shape, the same pessimistic token memory,
  a name in use refused, Creating until the first look after the create, then Active /
  InService; a deleted throughput created again under a new token gets a new ARN, as on AWS;
- Converse with a deployment's or throughput's ARN only while it serves, else AWS's error.

Every reply is checked against botocore's model (aws_http validates canned replies).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from tests.support.aws_http import AwsError, FakeHttp
from tests.support.aws_iam import ACCOUNT
from tests.support.aws_requests import TokenMemory, moto_json, validate_request

REGION = "us-east-1"
NOW = 1796515200  # 2026-12-06: when the emulated resources say they were made
KINDS = {  # path, ARN kind, ready state, create operation
    "deployment": (
        "/model-customization/custom-model-deployments",
        "custom-model-deployment",
        "Active",
        "CreateCustomModelDeployment",
    ),
    "throughput": (
        "/provisioned-model-throughput",
        "provisioned-model",
        "InService",
        "CreateProvisionedModelThroughput",
    ),
}


@dataclass
class Serving:
    kind: str
    name: str
    arn: str
    model_arn: str
    token: str | None
    looks: int = 0


def job_arn(name: str, base_model: str) -> str:
    """A customization job's ARN as AWS gives it: the base model and an id AWS assigns."""
    digest = hashlib.sha256(name.encode()).hexdigest()[:12]
    return f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/{base_model}/{digest}"


@dataclass
class BedrockCustomModelService:
    """`moto`: the moto server's URL; `converse(url, body)`: how a served model answers."""

    moto: str
    converse: Callable[[str, dict], dict]
    fail_jobs: dict[str, str] = field(default_factory=dict)  # job name -> failure message
    serving: dict[str, Serving] = field(default_factory=dict)  # by name
    created: int = 0  # how many serving resources were ever created (fresh ARNs)
    tokens: TokenMemory = field(default_factory=TokenMemory)
    job_names: dict[str, str] = field(default_factory=dict)  # job ARN -> name

    def install(self, http: FakeHttp) -> BedrockCustomModelService:
        http.respond("/model-customization-jobs/", self.job)
        http.respond("/model-customization-jobs ", self.create_job)  # the list takes maxResults
        for kind, (path, _, _, _) in KINDS.items():
            http.respond(path, lambda where, body, kind=kind: self.handle(kind, where, body))
        http.respond("/converse", self.answer)
        return self

    # -- jobs: moto's record, run by the time anyone looks
    def create_job(self, where: str, body: dict) -> dict:
        assert where.startswith("POST "), f"list customization jobs with maxResults: {where}"
        validate_request("bedrock", "CreateModelCustomizationJob", body)
        token = body.get("clientRequestToken")
        if first := self.tokens.recall(token):
            return first  # ignored, as Bedrock says: nothing new is started
        moto_json(self.moto, "POST", "/model-customization-jobs", "bedrock", body)
        arn = job_arn(body["jobName"], body["baseModelIdentifier"])
        self.job_names[arn] = body["jobName"]
        reply = {"jobArn": arn}
        self.tokens.remember(token, reply, body["jobName"])  # jobs are never deleted
        return reply

    def job(self, where: str, body: dict) -> dict:
        identifier = unquote(where.split("/model-customization-jobs/")[1].split(" ")[0])
        name = self.job_names.get(identifier, identifier)
        try:
            job = moto_json(self.moto, "GET", f"/model-customization-jobs/{name}", "bedrock")
        except AwsError as error:
            raise AwsError(
                "ResourceNotFoundException", f"Job {identifier} not found", 404
            ) from error
        # what AWS says where moto differs: ARNs carry the base model and an id AWS assigns,
        # the custom model has the name asked for, no KMS key unless one was given
        base = job["baseModelArn"].split("foundation-model/")[1]
        job["jobArn"] = job_arn(name, base)
        self.job_names[job["jobArn"]] = name
        job["outputModelName"] = job["outputModelName"].removesuffix(f"-{name}")
        job["outputModelArn"] = job["jobArn"].replace(":model-customization-job/", ":custom-model/")
        job.pop("outputModelKmsKeyArn", None)
        for key in ("creationTime", "lastModifiedTime", "endTime"):
            job[key] = NOW
        job.pop("failureMessage", None)
        job["status"] = "Completed"
        if name in self.fail_jobs:  # a failed job makes no custom model
            job["status"], job["failureMessage"] = "Failed", self.fail_jobs[name]
            job.pop("outputModelArn")
        job.setdefault("validationDataConfig", {"validators": []})
        return job

    # -- deployments and provisioned throughput
    def handle(self, kind: str, where: str, body: dict) -> dict:
        path, arn_kind, ready, operation = KINDS[kind]
        method = where.split(" ", 1)[0]
        if method == "POST":
            validate_request("bedrock", operation, body)
            return self.create(kind, arn_kind, body)
        identifier = unquote(where.split(path + "/")[1].split(" ")[0])
        found = next(
            (s for s in self.serving.values() if s.kind == kind and identifier in (s.name, s.arn)),
            None,
        )
        if found is None:
            raise AwsError("ResourceNotFoundException", f"{identifier} not found", 404)
        if method == "DELETE":
            self.remove(found.name)
            return {}
        found.looks += 1
        return self.describe(found, ready if found.looks > 1 else "Creating")

    def remove(self, name: str) -> None:
        """Delete a deployment or throughput (as Tailor's delete call, or endpoint_schedule's
        evening run, does); its client tokens are remembered for 36 hours more."""
        del self.serving[name]
        self.tokens.gone(name)

    def create(self, kind: str, arn_kind: str, body: dict) -> dict:
        name = body.get("modelDeploymentName") or body["provisionedModelName"]
        model_arn = body.get("modelArn") or body["modelId"]
        key = "customModelDeploymentArn" if kind == "deployment" else "provisionedModelArn"
        token = body.get("clientRequestToken")
        if first := self.tokens.recall(token):
            return first  # ignored, as Bedrock says: even when what it made is gone
        if name in self.serving:
            raise AwsError("ConflictException", f"{name} is in use")
        if ":custom-model/" not in model_arn:
            raise AwsError("ValidationException", f"{model_arn} is not a custom model")
        self.created += 1
        digest = hashlib.sha256(f"{name}/{self.created}".encode()).hexdigest()[:12]
        arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:{arn_kind}/{digest}"
        self.serving[name] = Serving(
            kind, name, arn, model_arn, token, looks=1
        )  # the creator's look: Creating
        reply = {key: arn}
        self.tokens.remember(token, reply, name)
        return reply

    def describe(self, served: Serving, status: str) -> dict:
        if served.kind == "deployment":
            return {
                "customModelDeploymentArn": served.arn,
                "modelDeploymentName": served.name,
                "modelArn": served.model_arn,
                "createdAt": NOW,
                "status": status,
            }
        return {
            "modelUnits": 1,
            "desiredModelUnits": 1,
            "provisionedModelName": served.name,
            "provisionedModelArn": served.arn,
            "modelArn": served.model_arn,
            "desiredModelArn": served.model_arn,
            "foundationModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/"
            "meta.llama3-1-8b-instruct-v1:0:128k",
            "status": status,
            "creationTime": NOW,
            "lastModifiedTime": NOW,
        }

    def answer(self, where: str, body: dict) -> dict:
        model = unquote(where.split("/model/")[1].split("/converse")[0])
        if ":custom-model-deployment/" in model or ":provisioned-model/" in model:
            served = next((s for s in self.serving.values() if s.arn == model), None)
            if served is None:
                raise AwsError("ResourceNotFoundException", f"{model} not found", 404)
            if served.looks < 2:
                raise AwsError("ValidationException", f"{model} is not ready yet")
        return self.converse(where, body)
