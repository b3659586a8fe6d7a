"""Deferrable waits until an endpoint serves the asked-for number of copies.

Each trigger only says how to look at its kind of endpoint (`tailor_airflow.polling` polls).
A failed or unrecognised state ends the wait at once; a timeout reports the last state seen.
"""

from __future__ import annotations

from pathlib import Path

from airflow.providers.amazon.aws.hooks.bedrock import BedrockHook
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from airflow.providers.amazon.aws.triggers.base import AwsBaseWaiterTrigger
from botocore.exceptions import ClientError

from tailor.endpoint.observe import (
    Observation,
    is_not_found,
    observe_endpoint,
    observe_inference_component,
    observe_provisioned_throughput,
)
from tailor.local.server import LocalModelServer
from tailor_airflow.aws_errors import error_matches
from tailor_airflow.polling import Poll, PollingTrigger


class CopyCountTrigger(PollingTrigger):
    def __init__(self, target: int, poll_interval: float = 30, max_attempts: int = 40) -> None:
        super().__init__(poll_interval, max_attempts)
        self.target = target

    async def observe(self) -> Observation:
        raise NotImplementedError

    async def poll(self) -> Poll:
        seen = await self.observe()
        if seen.failure:
            return Poll(end={"status": "failed", "state": seen.state, "failure": seen.failure})
        if seen.copies == self.target:
            return Poll(end={"status": "converged", "copies": seen.copies, "state": seen.state})
        return Poll(
            progress=f"Waiting for {self.target} copies: {seen.state}",
            seen={"copies": seen.copies, "state": seen.state},
        )


class _SageMakerTrigger(CopyCountTrigger):
    def __init__(
        self, aws_conn_id: str | None = "aws_default", region_name: str | None = None, **kw
    ):
        super().__init__(**kw)
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    async def client(self):
        return await SageMakerHook(
            aws_conn_id=self.aws_conn_id, region_name=self.region_name
        ).get_async_conn()


class InferenceComponentTrigger(_SageMakerTrigger):
    """Wait on ``describe_inference_component`` → ``RuntimeConfig.CurrentCopyCount``."""

    def __init__(self, component_name: str, **kw) -> None:
        super().__init__(**kw)
        self.component_name = component_name

    async def observe(self) -> Observation:
        async with await self.client() as client:
            description = await client.describe_inference_component(
                InferenceComponentName=self.component_name
            )
        return observe_inference_component(description)


class EndpointTrigger(_SageMakerTrigger):
    """Wait on a legacy endpoint: absent is 0 copies, InService counts its instances."""

    def __init__(self, endpoint_name: str, **kw) -> None:
        super().__init__(**kw)
        self.endpoint_name = endpoint_name

    async def observe(self) -> Observation:
        async with await self.client() as client:
            try:
                description = await client.describe_endpoint(EndpointName=self.endpoint_name)
            except ClientError as err:
                if not error_matches(err, is_not_found):
                    raise
                description = None
        return observe_endpoint(description)


class EndpointDeletedTrigger(AwsBaseWaiterTrigger):
    """Wait until a legacy endpoint is gone: botocore's ``endpoint_deleted`` waiter, deferred
    (the provider ships the waiter but no trigger for it). ``Failed`` ends it with an error."""

    aws_hook_class = SageMakerHook

    def __init__(
        self,
        endpoint_name: str,
        waiter_delay: int = 30,
        waiter_max_attempts: int = 60,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
    ) -> None:
        super().__init__(
            serialized_fields={"endpoint_name": endpoint_name},
            waiter_name="endpoint_deleted",
            waiter_args={"EndpointName": endpoint_name},
            failure_message=f"endpoint {endpoint_name} failed while being deleted",
            status_message=f"endpoint {endpoint_name} is still there",
            status_queries=["EndpointStatus", "FailureReason"],
            return_key="endpoint_name",
            return_value=endpoint_name,
            waiter_delay=waiter_delay,
            waiter_max_attempts=waiter_max_attempts,
            aws_conn_id=aws_conn_id,
            region_name=region_name,
        )


class ProvisionedThroughputTrigger(CopyCountTrigger):
    """Wait on Bedrock provisioned throughput by name: gone is 0 copies, InService 1 (the
    provider's trigger waits for InService only, not for a deletion)."""

    def __init__(
        self,
        provisioned_model_name: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        **kw,
    ) -> None:
        super().__init__(**kw)
        self.provisioned_model_name = provisioned_model_name
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    async def observe(self) -> Observation:
        hook = BedrockHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)
        async with await hook.get_async_conn() as client:
            try:
                description = await client.get_provisioned_model_throughput(
                    provisionedModelId=self.provisioned_model_name
                )
            except ClientError as err:
                if not error_matches(err, is_not_found):
                    raise
                description = None
        return observe_provisioned_throughput(description)


class LocalServerTrigger(CopyCountTrigger):
    """Wait until the local server answers a one-token completion, or is gone."""

    def __init__(self, state_dir: str, port: int, **kw) -> None:
        super().__init__(**kw)
        self.state_dir = state_dir
        self.port = port

    async def observe(self) -> Observation:
        server = LocalModelServer(Path(self.state_dir), self.port)
        seen = await server.readiness()
        if seen.copies == 0 and self.target:  # it was started for this wait: it died
            return Observation(0, "exited", f"server exited:\n{server.log_tail()}")
        return seen
