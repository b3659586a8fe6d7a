"""Bedrock model customization as AWS runs it, for the strict aws emulation.

moto keeps customization jobs and custom models (CreateModelCustomizationJob goes to moto and
is validated there) but never runs a job, and has no custom model deployments or provisioned
throughput. Below the real botocore clients (aws_http), this answers:

- GetModelCustomizationJob: moto's record, Completed by the first look (the emulation has no
  training time), or Failed with a message for a job named in ``fail_jobs``;
- Create/Get/DeleteCustomModelDeployment and Create/Get/DeleteProvisionedModelThroughput,
  by name or ARN: idempotent on the client token, a name in use refused, Creating until the
  first look after the create, then Active / InService; a deleted throughput created again
  gets a new ARN, as on AWS;
- Converse with a deployment's or throughput's ARN only while it serves, else AWS's error.

Every reply is checked against botocore's model (aws_http validates canned replies).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from aws_http import AwsError, FakeHttp
from aws_iam import ACCOUNT

REGION = "us-east-1"
NOW = 1796515200  # 2026-12-06: when the emulated resources say they were made
KINDS = {  # path, ARN kind, ready state
    "deployment": ("/model-customization/custom-model-deployments", "custom-model-deployment",
                   "Active"),
    "throughput": ("/provisioned-model-throughput", "provisioned-model", "InService"),
}  # fmt: skip


@dataclass
class Serving:
    kind: str
    name: str
    arn: str
    model_arn: str
    token: str | None
    looks: int = 0


@dataclass
class BedrockCustomModelService:
    """`moto`: the moto server's URL; `converse(url, body)`: how a served model answers."""

    moto: str
    converse: Callable[[str, dict], dict]
    fail_jobs: dict[str, str] = field(default_factory=dict)  # job name -> failure message
    serving: dict[str, Serving] = field(default_factory=dict)  # by name
    created: int = 0  # how many serving resources were ever created (fresh ARNs)

    def install(self, http: FakeHttp) -> BedrockCustomModelService:
        http.respond("/model-customization-jobs/", self.job)
        for kind, (path, _, _) in KINDS.items():
            http.respond(path, lambda where, body, kind=kind: self.handle(kind, where, body))
        http.respond("/converse", self.answer)
        return self

    # -- jobs: moto's record, run by the time anyone looks
    def job(self, where: str, body: dict) -> dict:
        name = unquote(where.split("/model-customization-jobs/")[1].split(" ")[0])
        # straight to moto (a client here would come back through this responder); moto routes
        # by the credential scope's service and does not check the signature
        request = urllib.request.Request(
            f"{self.moto}/model-customization-jobs/{name}",
            headers={"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261206/"
                     f"{REGION}/bedrock/aws4_request, SignedHeaders=host, Signature=0"})  # fmt: skip
        try:
            with urllib.request.urlopen(request) as reply:
                job = json.loads(reply.read())
        except urllib.error.HTTPError as error:
            raise AwsError("ResourceNotFoundException", f"Job {name} not found", 404) from error
        # what AWS says where moto differs: ARNs carry the base model and an id AWS assigns,
        # the custom model has the name asked for, no KMS key unless one was given
        base = job["baseModelArn"].split("foundation-model/")[1]
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        job["jobArn"] = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:model-customization-job/{base}/{digest}"
        job["outputModelName"] = job["outputModelName"].removesuffix(f"-{name}")
        job["outputModelArn"] = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:custom-model/{base}/{digest}"
        job.pop("outputModelKmsKeyArn", None)
        for key in ("creationTime", "lastModifiedTime", "endTime"):
            job[key] = NOW
        job.pop("failureMessage", None)
        job["status"] = "Completed"
        if name in self.fail_jobs:
            job["status"], job["failureMessage"] = "Failed", self.fail_jobs[name]
        job.setdefault("validationDataConfig", {"validators": []})
        return job

    # -- deployments and provisioned throughput
    def handle(self, kind: str, where: str, body: dict) -> dict:
        path, arn_kind, ready = KINDS[kind]
        method = where.split(" ", 1)[0]
        if method == "POST":
            return self.create(kind, arn_kind, body)
        identifier = unquote(where.split(path + "/")[1].split(" ")[0])
        found = next((s for s in self.serving.values()
                      if s.kind == kind and identifier in (s.name, s.arn)), None)  # fmt: skip
        if found is None:
            raise AwsError("ResourceNotFoundException", f"{identifier} not found", 404)
        if method == "DELETE":
            del self.serving[found.name]
            return {}
        found.looks += 1
        return self.describe(found, ready if found.looks > 1 else "Creating")

    def create(self, kind: str, arn_kind: str, body: dict) -> dict:
        name = body.get("modelDeploymentName") or body["provisionedModelName"]
        model_arn = body.get("modelArn") or body["modelId"]
        key = "customModelDeploymentArn" if kind == "deployment" else "provisionedModelArn"
        existing = self.serving.get(name)
        if existing and existing.token and existing.token == body.get("clientRequestToken"):
            return {key: existing.arn}  # idempotent: the same resource, nothing new
        if existing:
            raise AwsError("ConflictException", f"{name} is in use")
        if ":custom-model/" not in model_arn:
            raise AwsError("ValidationException", f"{model_arn} is not a custom model")
        self.created += 1
        digest = hashlib.sha256(f"{name}/{self.created}".encode()).hexdigest()[:12]
        arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:{arn_kind}/{digest}"
        self.serving[name] = Serving(kind, name, arn, model_arn, body.get("clientRequestToken"),
                                     looks=1)  # the creator's look: Creating  # fmt: skip
        return {key: arn}

    def describe(self, served: Serving, status: str) -> dict:
        if served.kind == "deployment":
            return {"customModelDeploymentArn": served.arn, "modelDeploymentName": served.name,
                    "modelArn": served.model_arn, "createdAt": NOW, "status": status}  # fmt: skip
        return {"modelUnits": 1, "desiredModelUnits": 1, "provisionedModelName": served.name,
                "provisionedModelArn": served.arn, "modelArn": served.model_arn,
                "desiredModelArn": served.model_arn,
                "foundationModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/"
                                      "meta.llama3-1-8b-instruct-v1:0:128k",
                "status": status, "creationTime": NOW, "lastModifiedTime": NOW}  # fmt: skip

    def answer(self, where: str, body: dict) -> dict:
        model = unquote(where.split("/model/")[1].split("/converse")[0])
        if ":custom-model-deployment/" in model or ":provisioned-model/" in model:
            served = next((s for s in self.serving.values() if s.arn == model), None)
            if served is None:
                raise AwsError("ResourceNotFoundException", f"{model} not found", 404)
            if served.looks < 2:
                raise AwsError("ValidationException", f"{model} is not ready yet")
        return self.converse(where, body)
