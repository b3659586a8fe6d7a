"""finetune's training step: LoRA on the local backend; on aws a JumpStart job, or a Bedrock
model customization job (``finetune_service: bedrock``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException

from tailor.finetune.dataset import PROMPT
from tailor.jsonl import read_jsonl
from tailor.settings import Backend, Settings
from tailor_airflow.config import load_settings
from tailor_airflow.hooks import aws_connection
from tailor_airflow.job_attempts import JobAttempts

LORA_RANK = 8


def local_model_dir(settings: Settings, candidate: dict[str, Any]) -> Path:
    """``models/<version>/model`` for a run's only candidate, ``models/<version>/candidates/
    <name>/model`` for each of a sweep's."""
    folder = settings.local_layout.models / candidate["version"]
    if candidate["name"] != candidate["version"]:
        folder = folder / "candidates" / candidate["name"]
    return folder / "model"


class TrainModelOperator(BaseOperator):
    """Train the candidate: LoRA on the local backend, SageMaker JumpStart or a Bedrock
    customization on aws.

    :param training: the ``build_training_set`` output (templated): the version, the method
        and the training channel's URI.
    :param candidate: one of ``plan_sweep``'s candidates (templated; the DAG maps over them):
        its name and hyperparameters. The other Params (method, base model, instance type)
        are read from the context. On aws the job is named from the candidate, so a retried
        task re-attaches to it; the wait is deferred to the triggerer.
    """

    template_fields = ("training", "candidate")
    ui_color = "#e8daef"

    def __init__(self, *, training: dict[str, Any], candidate: dict[str, Any], **kwargs: Any):
        super().__init__(**kwargs)
        self.training = training
        self.candidate = candidate

    def execute(self, context: Context) -> dict[str, Any]:
        settings = load_settings()
        if settings.backend is Backend.LOCAL:
            return self._train_local(settings)
        if settings.finetune_service == "bedrock":
            return self._train_bedrock(settings, context)
        return self._train_aws(settings, context)

    @property
    def candidate_name(self) -> str:
        return self.candidate["name"]

    def _trained(self, record: dict[str, Any]) -> dict[str, Any]:
        """What every candidate reports: its name and hyperparameters beside the metrics."""
        return {
            "candidate": self.candidate_name,
            "hyperparameters": self.candidate["hyperparameters"],
            **record,
        }

    def attempts(self, settings: Settings) -> JobAttempts:
        """This candidate's training job attempts on aws (`job_attempts`)."""
        from tailor_airflow.sagemaker_model import resource_name

        return JobAttempts.of(
            settings,
            self.training["version"],
            self.candidate_name,
            resource_name(self.candidate_name),
        )

    # -- aws, finetune_service bedrock: a customization job, then its custom model served
    def _train_bedrock(self, settings: Settings, context: Context) -> dict[str, Any]:
        from airflow.providers.amazon.aws.triggers.bedrock import (
            BedrockCustomizeModelCompletedTrigger,
        )

        from tailor_airflow.bedrock_customization import JOB_ENDED_UNDONE, BedrockCustomModels

        models, attempts = BedrockCustomModels(settings), self.attempts(settings)
        last = attempts.last()
        job = models.job(last["arn"]) if last else None  # by the ARN it stored
        if job and job["status"] in JOB_ENDED_UNDONE:  # it cannot run again: a new attempt
            attempts.ended(job["status"], job.get("failureMessage"))
            self.log.info(
                "Customization job %s ended %s (%s): starting another attempt",
                job["jobName"],
                job["status"],
                job.get("failureMessage"),
            )
            job = None
        if job is None:
            name = attempts.next_name()
            found = models.job(name)  # a try that died between submitting and recording it
            arn = (
                found["jobArn"]
                if found
                else models.submit(name, self.training, self.candidate["hyperparameters"])
            )
            attempts.started(name, arn)
            self.log.info("Bedrock customization job %s (%s): %s", name, models.base.model_id, arn)
        elif job["status"] == "Completed":
            return self.customized(context, {"status": "success"})
        else:
            self.log.info(
                "Customization job %s exists (%s): re-attaching", job["jobName"], job["status"]
            )
        self.defer(  # the provider's waiter: Completed succeeds; Failed, Stopping, Stopped fail
            trigger=BedrockCustomizeModelCompletedTrigger(
                job_name=attempts.last()["name"],
                waiter_delay=120,
                waiter_max_attempts=30 * 24,
                **aws_connection(settings),
            ),
            method_name="customized",
        )

    def customized(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        from airflow.providers.amazon.aws.triggers.bedrock import (
            BedrockProvisionModelThroughputCompletedTrigger,
        )

        from tailor_airflow.bedrock_customization import (
            BedrockCustomModels,
            CustomModelDeploymentTrigger,
        )
        from tailor_airflow.sagemaker_model import resource_name

        settings = load_settings()
        models, attempts = BedrockCustomModels(settings), self.attempts(settings)
        job = models.job(attempts.last()["arn"])
        if event.get("status") != "success" or job["status"] != "Completed":
            attempts.ended(job["status"], job.get("failureMessage"))
            raise RuntimeError(
                f"customization job {job['jobName']} ended {job['status']}: "
                f"{job.get('failureMessage', event)} (a retry starts another "
                "attempt)"
            )
        attempts.ended("Completed")
        name = resource_name(self.candidate_name)  # what serves it: the candidate's name
        arn = models.serve(name, job["outputModelArn"])
        self.log.info("Serving %s %s: %s; waiting", models.serving, job["outputModelName"], arn)
        if models.serving == "on_demand":
            trigger = CustomModelDeploymentTrigger(
                deployment_arn=arn, poll_interval=60, **aws_connection(settings)
            )
        else:
            trigger = BedrockProvisionModelThroughputCompletedTrigger(
                provisioned_model_id=arn,
                waiter_delay=60,
                waiter_max_attempts=60,
                **aws_connection(settings),
            )
        self.defer(trigger=trigger, method_name="custom_model_served")

    def custom_model_served(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        from datetime import UTC, datetime

        from tailor.finetune.custom_models import record
        from tailor_airflow.bedrock_customization import BedrockCustomModels
        from tailor_airflow.config import models_root
        from tailor_airflow.sagemaker_model import resource_name

        settings = load_settings()
        models, attempts = BedrockCustomModels(settings), self.attempts(settings)
        name = resource_name(self.candidate_name)
        if event.get("status") != "success":
            models.stop_serving(name)  # never leave a broken candidate billed
            raise RuntimeError(f"{models.serving} serving of {name} did not start: {event}")
        job, served = models.job(attempts.last()["arn"]), models.served(name)
        record(
            models_root(settings),
            {  # billed monthly until deleted: retention's to count
                "name": job["outputModelName"],
                "arn": job["outputModelArn"],
                "version": self.training["version"],
                "candidate": self.candidate_name,
                "created_at": datetime.now(UTC).isoformat(),
            },
        )
        metrics = job.get("trainingMetrics") or {}
        validation = [m.get("validationLoss") for m in job.get("validationMetrics") or []]
        return self._trained(
            {
                "customization_job": job["jobName"],
                "attempts": attempts.all(),
                "custom_model_arn": job["outputModelArn"],
                "serving": models.serving,
                "serving_name": name,
                "serving_arn": served["arn"],
                "base_model": models.base.model_id,
                "metrics": {
                    "training_loss": metrics.get("trainingLoss"),
                    "validation_loss": validation[0] if validation else None,
                },
            }
        )

    # -- aws: JumpStart training job, then the candidate staged as an inference component
    def _training_job(self, settings: Settings) -> str:
        """The current attempt's training job (a job from before attempts were recorded has the
        first attempt's name)."""
        attempts = self.attempts(settings)
        return (attempts.last() or {"name": attempts.base})["name"]

    def _train_aws(self, settings: Settings, context: Context) -> dict[str, Any]:
        from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger

        from tailor_airflow.sagemaker_model import (
            SageMakerModels,
            jumpstart_serving_container,
            jumpstart_training_request,
        )

        models, attempts = SageMakerModels(settings), self.attempts(settings)
        job = self._training_job(settings)
        described = models.training_job(job)  # SageMaker finds a training job by name only
        if described and not attempts.last():  # submitted before attempts were recorded
            attempts.started(job, described["TrainingJobArn"])
        if described and described["TrainingJobStatus"] in ("Failed", "Stopped"):
            _training_ended(attempts, described)  # Failed: a new attempt below
            self.log.info(
                "Training job %s failed (%s): starting another attempt",
                job,
                described.get("FailureReason"),
            )
            job, described = attempts.next_name(), None
            described = models.training_job(job)  # a try that died before recording it
            if described:
                attempts.started(job, described["TrainingJobArn"])
        if described is None:
            # a model that cannot be served must fail before a paid training job, not after
            jumpstart_serving_container(settings)
            output = f"{settings.data_root.rstrip('/')}/models/{self.training['version']}/output"
            params = {**context["params"], **self.candidate["hyperparameters"]}
            request = jumpstart_training_request(
                settings, params, job, self.training["train_uri"], output
            )
            models.submit_training(request)
            attempts.started(job, models.training_job(job)["TrainingJobArn"])
            self.log.info("Submitted training job %s", job)
        else:
            self.log.info(
                "Training job %s exists (%s): re-attaching", job, described["TrainingJobStatus"]
            )
            if described["TrainingJobStatus"] == "Completed":
                return self.after_training(context, {"status": "success"})
        self.defer(
            trigger=SageMakerTrigger(
                job_name=job,
                job_type="Training",
                waiter_delay=60,
                waiter_max_attempts=24 * 60,
                **aws_connection(settings),
            ),
            method_name="after_training",
        )

    def after_training(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger

        from tailor_airflow.sagemaker_model import SageMakerModels

        settings = load_settings()
        models = SageMakerModels(settings)
        job = models.training_job(self._training_job(settings))
        if event.get("status") != "success" or job["TrainingJobStatus"] != "Completed":
            _training_ended(self.attempts(settings), job)
            raise RuntimeError(
                f"training job {job['TrainingJobName']} ended {job['TrainingJobStatus']}: "
                f"{job.get('FailureReason', event)} (a retry starts another attempt)"
            )
        self.attempts(settings).ended("Completed")
        if not models.ensure_endpoint():
            self.log.info("Created endpoint %s for inference components; waiting", models.endpoint)
            self.defer(  # botocore's endpoint_in_service waiter, through the provider
                trigger=SageMakerTrigger(
                    job_name=models.endpoint,
                    job_type="endpoint",
                    waiter_delay=30,
                    waiter_max_attempts=60,
                    **aws_connection(settings),
                ),
                method_name="endpoint_ready",
            )
        return self.stage_candidate(settings)

    def endpoint_ready(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") != "success":
            raise RuntimeError(
                f"endpoint {event.get('job_name')} did not become InService "
                f"({event.get('status')}): {event.get('message')}"
            )
        return self.stage_candidate(load_settings())

    def stage_candidate(self, settings: Settings) -> dict[str, Any]:
        from tailor_airflow.sagemaker_model import SageMakerModels
        from tailor_airflow.scaling_triggers import InferenceComponentTrigger

        models = SageMakerModels(settings)
        job = models.training_job(self._training_job(settings))
        artifacts = job["ModelArtifacts"]["S3ModelArtifacts"]
        component = models.stage_component(self.candidate_name, artifacts)
        self.log.info("Candidate staged as inference component %s; waiting for a copy", component)
        self.defer(
            trigger=InferenceComponentTrigger(
                component_name=component,
                target=1,
                poll_interval=30,
                max_attempts=60,
                **aws_connection(settings),
            ),
            method_name="candidate_ready",
        )

    def candidate_ready(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        from tailor_airflow.sagemaker_model import SageMakerModels, resource_name

        settings = load_settings()
        name = resource_name(self.candidate_name)
        if event.get("status") != "converged":
            SageMakerModels(settings).delete_component(name)  # never leave a broken candidate
            raise RuntimeError(f"candidate component {name} did not start: {event}")
        job = SageMakerModels(settings).training_job(self._training_job(settings))
        return self._trained(
            {
                "training_job": job["TrainingJobName"],
                "attempts": self.attempts(settings).all(),
                "inference_component": name,
                "model_artifacts": job["ModelArtifacts"]["S3ModelArtifacts"],
                "base_model": settings.base_model_id,
                "seconds": job.get("TrainingTimeInSeconds"),
                "billable_seconds": job.get("BillableTimeInSeconds"),
                "metrics": {
                    m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])
                },
            }
        )

    def _train_local(self, settings: Settings) -> dict[str, Any]:
        from tailor.local.lora import train_lora
        from tailor.local.models import base_model_dir

        params = self.candidate["hyperparameters"]
        out = local_model_dir(settings, self.candidate)
        metrics = out.parent / "train_metrics.json"
        if (out / "config.json").exists() and metrics.exists():
            self.log.info("%s was trained by an earlier try; reusing it", self.candidate_name)
            return json.loads(metrics.read_text())
        records = read_jsonl(
            Path(self.training["train_uri"].removeprefix("file://")) / "train.jsonl"
        )
        texts = [r["text"] for r in records if "text" in r]
        pairs = [
            (PROMPT.format(question=r["question"]), r["answer"]) for r in records if "question" in r
        ]
        base = base_model_dir(Path(settings.model_cache_dir))
        result = train_lora(
            base,
            out,
            texts=texts,
            pairs=pairs,
            epochs=params["epochs"],
            learning_rate=params["learning_rate"],
            max_steps=params["max_steps"] or None,
            rank=LORA_RANK,
            log=self.log.info,
        )
        trained = self._trained(
            {
                "model_path": str(out),
                "base_model": str(base),
                "lora_rank": LORA_RANK,
                **vars(result),
            }
        )
        metrics.write_text(json.dumps(trained, indent=2))
        return trained


def _training_ended(attempts: JobAttempts, job: dict[str, Any]) -> None:
    """Record how a SageMaker training job ended undone. Stopped (a person, or
    ``training_max_runtime_hours`` reached) fails the task without retries: another attempt
    would be stopped the same way. Failed leaves the retry to start another attempt."""
    status, reason = job["TrainingJobStatus"], job.get("FailureReason")
    attempts.ended(status, reason)
    if status == "Stopped":
        raise AirflowFailException(
            f"training job {job['TrainingJobName']} was stopped ({job.get('SecondaryStatus')}"
            f"{f': {reason}' if reason else ''}): rerun once the cause is fixed (a longer "
            "training_max_runtime_hours, if it ran out of time)"
        )
