"""Fake AWS below the hook's real botocore client: canned HTTP replies, real retries.

Stubber answers before botocore's retry loop, so it cannot show how a client behaves under
throttling; replacing the HTTP send keeps request signing, parsing and the (adaptive)
retry handler in play.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, **_):
        yield self._body.read()

    def read(self, amt=None):
        return self._body.read(amt)


@dataclass
class FakeHttp:
    """Replies, in order, to requests whose URL contains a given part."""

    replies: list[tuple[str, int, dict, dict]] = field(default_factory=list)
    requests: list[tuple[str, dict]] = field(default_factory=list)

    def reply(self, url_part: str, body: dict, status: int = 200, error: str = "") -> None:
        headers = {"Content-Type": "application/json"}
        if error:
            headers["x-amzn-ErrorType"] = error
        self.replies.append((url_part, status, headers, body))

    def throttle(self, url_part: str, times: int = 1) -> None:
        for _ in range(times):
            self.reply(url_part, {"message": "Rate exceeded"}, 429, "ThrottlingException")

    def send(self, request) -> AWSResponse:
        for index, (part, status, headers, body) in enumerate(self.replies):
            if part in request.url:
                del self.replies[index]
                sent = json.loads(request.body) if request.body else {}
                self.requests.append((request.url, sent))
                return AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))
        raise AssertionError(f"unexpected AWS request {request.method} {request.url}")


def install(monkeypatch) -> FakeHttp:
    """Every botocore client in the test sends its HTTP requests to one FakeHttp."""
    from botocore.endpoint import Endpoint

    fake = FakeHttp()
    monkeypatch.setattr(Endpoint, "_send", lambda self, request: fake.send(request))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return fake
