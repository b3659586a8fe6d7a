"""Fake AWS below the hook's real botocore client: canned HTTP replies, real retries.

Stubber answers before botocore's retry loop, so it cannot show how a client behaves under
throttling; replacing the HTTP send keeps request signing, parsing and the (adaptive)
retry handler in play. The same replies answer aiobotocore clients (the provider's triggers
and waiters in the triggerer), so a canned resource looks the same from both sides.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import dataclass, field

from botocore.awsrequest import AWSResponse

from tests.support.aws_shapes import mark_canned, validate_canned_replies


class AwsError(Exception):
    """Raised by a responder: the request gets this AWS error instead of a 200."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, **_):
        yield self._body.read()

    def read(self, amt=None):
        return self._body.read(amt)


class _AsyncRaw(_Raw):
    async def read(self, amt=None):
        return self._body.read(amt)


@dataclass
class FakeHttp:
    """Replies, in order, to requests whose URL (or X-Amz-Target) contains a given part;
    `respond` answers every matching request from a function. Unmatched requests go to
    `passthrough` (the real send, e.g. to a moto server) when one is set."""

    replies: list[tuple[str, int, dict, dict]] = field(default_factory=list)
    requests: list[tuple[str, dict]] = field(default_factory=list)
    responders: dict[str, object] = field(default_factory=dict)
    passthrough: object = None
    async_passthrough: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)  # clients send from pools

    def respond(self, part: str, answer) -> None:
        """Every request matching `part` is answered by `answer(url, body) -> dict`."""
        self.responders[part] = answer

    def reply(self, url_part: str, body: dict, status: int = 200, error: str = "") -> None:
        headers = {"Content-Type": "application/json"}
        if error:
            headers["x-amzn-ErrorType"] = error
        self.replies.append((url_part, status, headers, body))

    def throttle(self, url_part: str, times: int = 1) -> None:
        for _ in range(times):
            self.reply(url_part, {"message": "Rate exceeded"}, 429, "ThrottlingException")

    def send(self, endpoint, request) -> AWSResponse:
        answered = self.answer(request)
        if answered is None:
            return self.passthrough(endpoint, request)
        return AWSResponse(request.url, answered[0], answered[1], _Raw(answered[2]))

    async def send_async(self, endpoint, request):
        from aiobotocore.awsrequest import AioAWSResponse

        answered = self.answer(request)
        if answered is None:
            return await self.async_passthrough(endpoint, request)
        return AioAWSResponse(request.url, answered[0], answered[1], _AsyncRaw(answered[2]))

    def answer(self, request) -> tuple[int, dict, bytes] | None:
        """The canned (status, headers, body) for `request`; None: pass it through."""
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        where = f"{request.method} {request.url} {target}"
        body = _json(request.body)
        with self.lock:
            queued = next((i for i, r in enumerate(self.replies) if r[0] in where), None)
            reply = self.replies.pop(queued) if queued is not None else None
            answer = next((a for part, a in self.responders.items() if part in where), None)
            if reply or answer:
                self.requests.append((where, body))
        if reply:
            _, status, headers, canned = reply
        elif answer:
            headers = {"Content-Type": "application/json"}
            try:
                canned, status = answer(where, body), 200
            except AwsError as error:
                headers["x-amzn-ErrorType"] = error.code
                canned, status = {"__type": error.code, "message": error.message}, error.status
        elif self.passthrough:
            return None
        else:
            raise AssertionError(f"unexpected AWS request {request.method} {where}")
        mark_canned()
        return status, headers, json.dumps(canned).encode()


def _json(body) -> dict:
    try:
        return json.loads(body) if body else {}
    except (ValueError, UnicodeDecodeError, TypeError):  # S3 uploads stream their body
        return {}


def install(monkeypatch, passthrough: bool = False) -> FakeHttp:
    """Every botocore client in the test sends its HTTP requests to one FakeHttp."""
    from aiobotocore.endpoint import AioEndpoint
    from botocore.endpoint import Endpoint

    fake = FakeHttp(
        passthrough=Endpoint._send if passthrough else None,
        async_passthrough=AioEndpoint._send if passthrough else None,
    )
    monkeypatch.setattr(Endpoint, "_send", lambda self, request: fake.send(self, request))

    async def send_async(self, request):
        return await fake.send_async(self, request)

    monkeypatch.setattr(AioEndpoint, "_send", send_async)
    validate_canned_replies(monkeypatch)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return fake
