"""Bedrock model customization: the job that fine-tunes a candidate, the custom model it makes,
and what serves it — an on-demand custom model deployment or provisioned throughput.

Every resource of a candidate is named after it (``tailor-<version>[-n]``; a job's later
attempts add ``-a<n>``, `job_attempts`), so a retried task finds its own job, deployment or
throughput again instead of paying for a second. Each creation carries a client token of its
own (`tailor.client_tokens`): throughput deleted every evening and created again in the
morning under its name would otherwise send yesterday's token, which Bedrock may still
remember and answer with yesterday's (deleted) ARN, creating nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook, BedrockRuntimeHook

from tailor.client_tokens import creation_token
from tailor.converse import answer_inference, reply_parts, user_turn
from tailor.endpoint.observe import EndpointAsleep
from tailor.finetune.bedrock_customization import customizable
from tailor.settings import Settings
from tailor_airflow.aws_errors import describe_or_none
from tailor_airflow.hooks import adaptive_retries, aws_hook
from tailor_airflow.polling import Poll, PollingTrigger

# GetCustomModelDeployment's states: Creating waits, Active serves, Failed ends the wait
DEPLOYMENT_RUNNING, DEPLOYMENT_READY, DEPLOYMENT_FAILED = {"Creating"}, {"Active"}, {"Failed"}
# customization job states that end an attempt for good: a retry starts the next attempt
JOB_ENDED_UNDONE = frozenset({"Failed", "Stopped"})


class BedrockCustomModels:
    """Customization jobs, custom models and their serving, through the provider's hooks."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base = customizable(settings.customization_base_model)

    @cached_property
    def client(self):
        return aws_hook(BedrockHook, self.settings).conn

    @cached_property
    def runtime(self):
        """Converse with adaptive retries: the gate and the night call it from threads."""
        return aws_hook(BedrockRuntimeHook, self.settings, config=adaptive_retries()).conn

    # -- the customization job
    def job(self, name_or_arn: str) -> dict[str, Any] | None:
        return describe_or_none(self.client.get_model_customization_job, jobIdentifier=name_or_arn)

    def submit(self, name: str, training: dict[str, Any], hyperparameters: dict[str, Any]) -> str:
        """Start one attempt of the candidate's job (its custom model takes the attempt's name);
        the job's ARN."""
        (role,) = self.settings.require("customization_role_arn")
        if "examples" in training:  # build_training_set's counts: checked before a paid job
            self.base.check_records(
                training["examples"] + training.get("held_out", 0), f"candidate {name}"
            )
        request: dict[str, Any] = {
            "jobName": name,
            "customModelName": name,
            "roleArn": role,
            # one attempt, one name: a try that raced the first gets the same job back
            "clientRequestToken": creation_token(name, "customization job"),
            "baseModelIdentifier": self.base.model_id,
            "customizationType": "FINE_TUNING",
            "trainingDataConfig": {"s3Uri": training["customization_train_uri"]},
            "outputDataConfig": {"s3Uri": f"{training['folder'].rstrip('/')}/bedrock/output/"},
            "hyperParameters": self.base.hyperparameters(hyperparameters, f"candidate {name}"),
        }
        if training.get("customization_validation_uri"):
            request["validationDataConfig"] = {
                "validators": [{"s3Uri": training["customization_validation_uri"]}]
            }
        return self.client.create_model_customization_job(**request)["jobArn"]

    # -- serving: on demand where the base model allows it, else provisioned throughput
    @property
    def serving(self) -> str:
        return self.base.serving

    def serve(self, name: str, model_arn: str, kind: str | None = None) -> str:
        """Create (or find) what serves the custom model; its ARN, Converse's modelId."""
        found = self.served(name, kind)
        if found:
            return found["arn"]
        # this creation's own token: the name may have served before, and been deleted
        token = creation_token(name, datetime.now(UTC).isoformat())
        if (kind or self.serving) == "on_demand":
            return self.client.create_custom_model_deployment(
                modelDeploymentName=name, modelArn=model_arn, clientRequestToken=token
            )["customModelDeploymentArn"]
        # no commitment: billed by the hour, deletable at any time (endpoint_schedule does)
        return self.client.create_provisioned_model_throughput(
            provisionedModelName=name, modelId=model_arn, modelUnits=1, clientRequestToken=token
        )["provisionedModelArn"]

    def served(self, name_or_arn: str, kind: str | None = None) -> dict[str, Any] | None:
        """The serving resource's ARN and status, or None if there is none. `kind`: how it is
        served (on_demand, provisioned), when not the configured base model's way."""
        if (kind or self.serving) == "on_demand":
            found = describe_or_none(
                self.client.get_custom_model_deployment, customModelDeploymentIdentifier=name_or_arn
            )
            return found and {
                "arn": found["customModelDeploymentArn"],
                "status": found["status"],
                "message": found.get("failureMessage"),
            }
        found = describe_or_none(
            self.client.get_provisioned_model_throughput, provisionedModelId=name_or_arn
        )
        return found and {
            "arn": found["provisionedModelArn"],
            "status": found["status"],
            "message": found.get("failureMessage"),
        }

    def model_id(self, record: dict[str, Any]) -> str:
        """Converse's modelId for a ``train`` or ``current.json`` record. A deployment's ARN is
        fixed; provisioned throughput deleted off-hours comes back with a new ARN, found by
        its name."""
        if record["serving"] != "provisioned":
            return record["serving_arn"]
        found = self.served(record["serving_name"], "provisioned")
        if not found:
            raise EndpointAsleep(
                f"provisioned throughput {record['serving_name']} is deleted "
                "(off-hours): a wake-up recreates it"
            )
        return found["arn"]

    def stop_serving(self, name_or_arn: str, kind: str | None = None) -> bool:
        """Delete what serves a custom model (the model stays); False if it was already gone."""
        if not self.served(name_or_arn, kind):
            return False
        if (kind or self.serving) == "on_demand":
            self.client.delete_custom_model_deployment(customModelDeploymentIdentifier=name_or_arn)
        else:
            self.client.delete_provisioned_model_throughput(provisionedModelId=name_or_arn)
        return True

    def delete_model(self, name_or_arn: str) -> bool:
        """Delete a custom model (its storage is billed monthly); False if already gone."""
        if not describe_or_none(self.client.get_custom_model, modelIdentifier=name_or_arn):
            return False
        self.client.delete_custom_model(modelIdentifier=name_or_arn)
        return True

    def answer_text(self, model_id: str, prompt: str, max_tokens: int = 256) -> str:
        """The gate's answer from a served custom model: as the night asks, 256 tokens at most
        (as the SageMaker candidates)."""
        return reply_parts(
            self.runtime.converse(
                modelId=model_id,
                messages=user_turn(prompt),
                inferenceConfig=answer_inference(max_tokens),
            )
        )[0]


class CustomModelDeploymentTrigger(PollingTrigger):
    """Wait for an on-demand custom model deployment to be Active.

    The provider has no trigger or waiter for custom model deployments; Failed, or a state this
    trigger does not know, ends the wait with the deployment's message.
    """

    def __init__(
        self,
        deployment_arn: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        poll_interval: float = 60,
        max_attempts: int = 60,
    ) -> None:
        super().__init__(poll_interval, max_attempts)
        self.deployment_arn = deployment_arn
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    async def poll(self) -> Poll:
        hook = BedrockHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
        async with await hook.get_async_conn() as client:
            found = await client.get_custom_model_deployment(
                customModelDeploymentIdentifier=self.deployment_arn
            )
        status = found["status"]
        if status in DEPLOYMENT_READY:
            return Poll(end={"status": "success", "arn": self.deployment_arn})
        if status not in DEPLOYMENT_RUNNING:
            return Poll(
                end={
                    "status": "error",
                    "arn": self.deployment_arn,
                    "message": f"{status}: {found.get('failureMessage')}",
                }
            )
        return Poll(progress=f"custom model deployment {status}", seen={"state": status})
