"""Deferrable waits until an endpoint serves the asked-for number of copies.

One polling loop; each subclass only says how to look at its kind of endpoint. A failed
or unrecognised state ends the wait at once, and a timeout reports the last state seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from airflow.providers.amazon.aws.hooks.sagemaker import SageMakerHook
from airflow.triggers.base import BaseTrigger, TriggerEvent
from botocore.exceptions import ClientError

from tailor.endpoint.observe import (
    Observation,
    is_not_found,
    observe_endpoint,
    observe_inference_component,
)
from tailor.local.server import LocalModelServer
from tailor_airflow.aws_errors import error_matches


class CopyCountTrigger(BaseTrigger):
    def __init__(self, target: int, poll_interval: float = 30, max_attempts: int = 40) -> None:
        super().__init__()
        self.target = target
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts

    def resource_kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    async def observe(self) -> Observation:
        raise NotImplementedError

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "target": self.target,
                "poll_interval": self.poll_interval,
                "max_attempts": self.max_attempts,
                **self.resource_kwargs(),
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        seen = Observation(None, "not observed")
        for attempt in range(1, self.max_attempts + 1):
            seen = await self.observe()
            if seen.failure:
                yield TriggerEvent(
                    {"status": "failed", "state": seen.state, "failure": seen.failure}
                )
                return
            if seen.copies == self.target:
                yield TriggerEvent(
                    {"status": "converged", "copies": seen.copies, "state": seen.state}
                )
                return
            self.log.info(
                "Waiting for %d copies: %s (check %d/%d)",
                self.target, seen.state, attempt, self.max_attempts,
            )  # fmt: skip
            if attempt < self.max_attempts:
                await asyncio.sleep(self.poll_interval)
        yield TriggerEvent({"status": "timeout", "copies": seen.copies, "state": seen.state})


class _SageMakerTrigger(CopyCountTrigger):
    def __init__(
        self, aws_conn_id: str | None = "aws_default", region_name: str | None = None, **kw
    ):
        super().__init__(**kw)
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def resource_kwargs(self) -> dict[str, Any]:
        return {"aws_conn_id": self.aws_conn_id, "region_name": self.region_name}

    async def client(self):
        return await SageMakerHook(
            aws_conn_id=self.aws_conn_id, region_name=self.region_name
        ).get_async_conn()


class InferenceComponentTrigger(_SageMakerTrigger):
    """Wait on ``describe_inference_component`` → ``RuntimeConfig.CurrentCopyCount``."""

    def __init__(self, component_name: str, **kw) -> None:
        super().__init__(**kw)
        self.component_name = component_name

    def resource_kwargs(self) -> dict[str, Any]:
        return {**super().resource_kwargs(), "component_name": self.component_name}

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

    def resource_kwargs(self) -> dict[str, Any]:
        return {**super().resource_kwargs(), "endpoint_name": self.endpoint_name}

    async def observe(self) -> Observation:
        async with await self.client() as client:
            try:
                description = await client.describe_endpoint(EndpointName=self.endpoint_name)
            except ClientError as err:
                if not error_matches(err, is_not_found):
                    raise
                description = None
        return observe_endpoint(description)


class LocalServerTrigger(CopyCountTrigger):
    """Wait until the local server answers a one-token completion, or is gone."""

    def __init__(self, state_dir: str, port: int, **kw) -> None:
        super().__init__(**kw)
        self.state_dir = state_dir
        self.port = port

    def resource_kwargs(self) -> dict[str, Any]:
        return {"state_dir": self.state_dir, "port": self.port}

    async def observe(self) -> Observation:
        server = LocalModelServer(Path(self.state_dir), self.port)
        state = server.state()
        if state is None:
            if self.target:
                return Observation(0, "exited", f"server exited:\n{server.log_tail()}")
            return Observation(0, "stopped")
        warm_up = {"model": state.model_dir, "messages": [{"role": "user", "content": "hi"}],
                   "max_tokens": 1}  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=120) as client:
                if (await client.get("/health")).status_code != 200:
                    return Observation(None, "starting")
                response = await client.post("/v1/chat/completions", json=warm_up)
        except httpx.HTTPError:
            return Observation(None, "starting")
        if response.status_code != 200:
            return Observation(None, f"warming up (HTTP {response.status_code})")
        return Observation(1, f"serving {state.model_dir} (pid {state.pid})")


class EndpointInServiceTrigger(EndpointTrigger):
    """Wait until a new endpoint is InService (1), whatever its instance count at zero load."""

    async def observe(self) -> Observation:
        seen = await super().observe()
        if seen.state == "InService":
            return Observation(1, seen.state)
        return Observation(None if seen.copies is None else 0, seen.state, seen.failure)
