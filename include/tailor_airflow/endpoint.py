"""The model endpoint on each backend, as the scaling operators see it.

``local``: a `transformers serve` process for the current model (0 or 1 copies).
``aws`` with ``inference_component_name``: the component's copy count (scale to zero).
``aws`` without: a legacy endpoint, deleted at zero (keeping its EndpointConfig and Model)
and recreated from the saved config.
``aws`` with a Bedrock custom model promoted: its provisioned throughput, deleted at zero and
recreated; or its on-demand deployment, which has nothing to scale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from airflow.triggers.base import BaseTrigger

from tailor.endpoint.observe import (
    EndpointNotFound,
    Observation,
    observe_endpoint,
    observe_inference_component,
    observe_provisioned_throughput,
)
from tailor.finetune.registry import read_current
from tailor.local.models import current_model_dir
from tailor.local.server import LocalModelServer
from tailor.settings import Backend, Settings
from tailor.storage import write_atomic
from tailor_airflow.aws_errors import describe_or_none
from tailor_airflow.config import data_layout, models_root
from tailor_airflow.hooks import aws_connection, aws_hook

if TYPE_CHECKING:  # the triggers import the provider (boto3): loaded when a task defers
    from tailor_airflow.scaling_triggers import CopyCountTrigger


class Endpoint(Protocol):
    description: str
    max_copies: int | None

    def observe(self) -> Observation: ...
    def request(self, copies: int) -> None: ...
    def trigger(self, copies: int, poll_interval: float, max_attempts: int) -> BaseTrigger: ...


class LocalEndpoint:
    max_copies = 1

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.server = LocalModelServer(settings.local_layout.endpoint, settings.local_endpoint_port)
        self.description = f"local model server on port {settings.local_endpoint_port}"

    def observe(self) -> Observation:
        return self.server.observe()

    def request(self, copies: int) -> None:
        if copies == 0:
            self.server.stop()
            return
        model = current_model_dir(
            self.settings.local_layout.models, Path(self.settings.model_cache_dir)
        )
        self.server.start(model)

    def trigger(self, copies: int, poll_interval: float, max_attempts: int) -> CopyCountTrigger:
        from tailor_airflow.scaling_triggers import LocalServerTrigger

        return LocalServerTrigger(
            state_dir=str(self.server.state_dir),
            port=self.server.port,
            target=copies,
            poll_interval=min(poll_interval, 2),
            max_attempts=max_attempts,
        )


class _SageMakerEndpoint:
    max_copies = None

    def __init__(self, settings: Settings) -> None:
        from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook

        self.settings = settings
        self.hook = aws_hook(SageMakerHook, settings)


class InferenceComponentEndpoint(_SageMakerEndpoint):
    def __init__(self, settings: Settings, component: str) -> None:
        super().__init__(settings)
        self.component = component
        self.description = f"inference component {self.component}"

    def observe(self) -> Observation:
        description = describe_or_none(
            self.hook.conn.describe_inference_component, InferenceComponentName=self.component
        )
        if description is None:
            raise EndpointNotFound(f"inference component {self.component!r} not found")
        return observe_inference_component(description)

    def request(self, copies: int) -> None:
        self.hook.conn.update_inference_component_runtime_config(
            InferenceComponentName=self.component, DesiredRuntimeConfig={"CopyCount": copies}
        )

    def trigger(self, copies: int, poll_interval: float, max_attempts: int) -> CopyCountTrigger:
        from tailor_airflow.scaling_triggers import InferenceComponentTrigger

        return InferenceComponentTrigger(
            component_name=self.component,
            target=copies,
            poll_interval=poll_interval,
            max_attempts=max_attempts,
            **aws_connection(self.settings),
        )


class LegacyEndpoint(_SageMakerEndpoint):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        (self.name,) = settings.require("endpoint_name")
        self.description = f"endpoint {self.name}"
        self.saved = data_layout(settings).endpoint / f"legacy-{self.name}.json"

    def _describe(self) -> dict[str, Any] | None:
        return describe_or_none(self.hook.conn.describe_endpoint, EndpointName=self.name)

    def observe(self) -> Observation:
        description = self._describe()
        if description is None and not self._config_name():
            raise EndpointNotFound(
                f"endpoint {self.name!r} does not exist and no EndpointConfig is known to "
                "recreate it (set endpoint_config_name)"
            )
        return observe_endpoint(description)

    def _config_name(self) -> str | None:
        if self.saved.exists():
            return json.loads(self.saved.read_text())["EndpointConfigName"]
        return self.settings.endpoint_config_name

    def request(self, copies: int) -> None:
        if copies == 0:
            description = self._describe()
            if description is not None:
                saved = {"EndpointConfigName": description["EndpointConfigName"]}
                write_atomic(self.saved, json.dumps(saved).encode())
                self.hook.conn.delete_endpoint(EndpointName=self.name)
            return
        self.hook.conn.create_endpoint(
            EndpointName=self.name, EndpointConfigName=self._config_name()
        )

    def trigger(self, copies: int, poll_interval: float, max_attempts: int) -> BaseTrigger:
        from tailor_airflow.scaling_triggers import EndpointDeletedTrigger, EndpointTrigger

        if copies == 0:
            return EndpointDeletedTrigger(
                endpoint_name=self.name,
                waiter_delay=int(poll_interval),
                waiter_max_attempts=max_attempts,
                **aws_connection(self.settings),
            )
        return EndpointTrigger(
            endpoint_name=self.name,
            target=copies,
            poll_interval=poll_interval,
            max_attempts=max_attempts,
            **aws_connection(self.settings),
        )


class NothingDeployed:
    """An inference-component endpoint before finetune has promoted any model."""

    max_copies = 0

    def __init__(self, settings: Settings) -> None:
        self.description = f"endpoint {settings.endpoint_name} (no model deployed yet)"

    def observe(self) -> Observation:
        return Observation(0, "no model deployed")

    def request(self, copies: int) -> None:
        raise EndpointNotFound(f"{self.description}: run finetune first")

    def trigger(self, copies: int, poll_interval: float, max_attempts: int) -> CopyCountTrigger:
        raise EndpointNotFound(f"{self.description}: run finetune first")


class ProvisionedThroughputEndpoint:
    """A Bedrock custom model on no-commitment provisioned throughput: billed by the hour and
    unable to scale to zero, so it is deleted at zero (the custom model kept) and created
    again, under the same name, for the custom model recorded in ``current.json``."""

    max_copies = 1

    def __init__(self, settings: Settings, current: dict[str, Any]) -> None:
        from tailor_airflow.bedrock_customization import BedrockCustomModels

        self.settings = settings
        self.models = BedrockCustomModels(settings)
        self.name = current["serving_name"]
        self.model_arn = current["custom_model_arn"]
        self.description = f"provisioned throughput {self.name}"

    def observe(self) -> Observation:
        found = describe_or_none(
            self.models.client.get_provisioned_model_throughput, provisionedModelId=self.name
        )
        return observe_provisioned_throughput(found)

    def request(self, copies: int) -> None:
        if copies == 0:
            self.models.stop_serving(self.name, "provisioned")
        else:
            self.models.serve(self.name, self.model_arn, "provisioned")

    def trigger(self, copies: int, poll_interval: float, max_attempts: int) -> CopyCountTrigger:
        from tailor_airflow.scaling_triggers import ProvisionedThroughputTrigger

        return ProvisionedThroughputTrigger(
            provisioned_model_name=self.name,
            target=copies,
            poll_interval=poll_interval,
            max_attempts=max_attempts,
            **aws_connection(self.settings),
        )


class OnDemandDeployment(NothingDeployed):
    """A Bedrock custom model deployed for on-demand inference: billed per token, always
    ready, nothing to schedule."""

    def __init__(self, settings: Settings, current: dict[str, Any]) -> None:
        self.description = (
            f"on-demand custom model deployment {current['serving_name']} "
            "(billed per token: nothing to schedule)"
        )

    def observe(self) -> Observation:
        return Observation(0, "on demand")


def served_component(settings: Settings, current: dict[str, Any] | None) -> str | None:
    """The inference component traffic goes to: the one promoted last, else the setting."""
    return (current or {}).get("inference_component") or settings.inference_component_name


def endpoint_for(settings: Settings) -> Endpoint:
    """The served model's endpoint; on aws what serves the model promoted last (a Bedrock
    custom model's throughput or deployment, an inference component), else the setting."""
    if settings.backend is Backend.LOCAL:
        return LocalEndpoint(settings)
    current = read_current(models_root(settings))
    if current and current.get("serving") == "provisioned":
        return ProvisionedThroughputEndpoint(settings, current)
    if current and current.get("serving") == "on_demand":
        return OnDemandDeployment(settings, current)
    if settings.endpoint_kind == "legacy":
        return LegacyEndpoint(settings)
    component = served_component(settings, current)
    if component:
        return InferenceComponentEndpoint(settings, component)
    return NothingDeployed(settings)
