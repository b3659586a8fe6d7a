"""Fake AWS at the hook boundary: a hook's clients answer from botocore's Stubber."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from botocore.stub import Stubber

from tests.support.aws_shapes import validate_reply


class StrictStubber(Stubber):
    """A Stubber whose every canned reply must be one AWS could send (tests/support/aws_shapes.py)."""

    def add_response(self, method, service_response, expected_params=None):
        operation = self.client.meta.method_to_api_mapping[method]
        validate_reply(self.client.meta.service_model.service_name, operation, service_response)
        super().add_response(method, service_response, expected_params)


def offline_client(service: str):
    return boto3.client(
        service, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


class AsyncWaiter:
    """The aiobotocore waiter shape over a botocore waiter: same acceptors, same errors."""

    def __init__(self, waiter) -> None:
        self._waiter = waiter
        self.name = waiter.name
        self.config = waiter.config

    async def wait(self, **kwargs) -> None:
        self._waiter.wait(**kwargs)


class AsyncClient:
    """The aiobotocore client shape, answering from a stubbed botocore client."""

    def __init__(self, client) -> None:
        self._client = client

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> bool:
        return False

    def get_waiter(self, name: str) -> AsyncWaiter:
        """botocore's own waiter model (acceptors, matchers), polled through the stub."""
        return AsyncWaiter(self._client.get_waiter(name))

    def __getattr__(self, name):
        method = getattr(self._client, name)

        async def call(**kwargs):
            return method(**kwargs)

        return call


@contextmanager
def stubbed_hook(monkeypatch, hook_class, service: str) -> Iterator[StrictStubber]:
    """Every `hook_class` hands out one stubbed client, sync and async; all answers must be used."""
    client = offline_client(service)

    async def get_async_conn(self):
        return AsyncClient(client)

    monkeypatch.setattr(hook_class, "conn", client)
    monkeypatch.setattr(hook_class, "get_async_conn", get_async_conn)
    with StrictStubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def trigger_events(trigger) -> list[dict]:
    """Run a trigger to the end and return the payloads it yielded."""

    async def collect():
        return [event.payload async for event in trigger.run()]

    return asyncio.run(collect())
