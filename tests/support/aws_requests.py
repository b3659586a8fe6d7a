"""What the Bedrock emulators hold a request to, as AWS does: botocore's input shape (patterns,
lengths, enums: botocore's own validator checks none of these), and client tokens remembered
pessimistically.

botocore's model says of Bedrock's client tokens: "If this token matches a previous request,
Amazon Bedrock ignores the request, but does not return an error." How long is not
documented, so the emulation assumes the worst seen elsewhere in AWS: a token is remembered
for 36 hours after what it created is gone, and a repeated token gets the first request's
reply back — the request silently creates nothing.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import botocore.session

from tests.support.aws_http import AwsError
from tests.support.aws_shapes import _check

REMEMBERED_SECONDS = 36 * 3600
_session = botocore.session.get_session()


def validate_request(service: str, operation: str, body: dict) -> None:
    """AWS's ValidationException for a request body botocore's input shape rules out."""
    shape = _session.get_service_model(service).operation_model(operation).input_shape
    problems: list[str] = []
    _check(shape, body, operation, problems)
    if problems:
        raise AwsError("ValidationException", "; ".join(problems))


@dataclass
class Remembered:
    reply: dict
    resource: str  # what the first request created (its name)
    gone_at: float | None = None


@dataclass
class TokenMemory:
    """Client tokens as a pessimistic Bedrock keeps them; `clock` may be moved by a test."""

    clock: Callable[[], float] = time.time
    tokens: dict[str, Remembered] = field(default_factory=dict)

    def recall(self, token: str | None) -> dict | None:
        """The first reply to `token`, while it is remembered; None for a new token."""
        found = self.tokens.get(token) if token else None
        if (
            found
            and found.gone_at is not None
            and self.clock() - found.gone_at >= REMEMBERED_SECONDS
        ):
            del self.tokens[token]
            return None
        return found and found.reply

    def remember(self, token: str | None, reply: dict, resource: str) -> None:
        if token:
            self.tokens[token] = Remembered(reply, resource)

    def gone(self, resource: str) -> None:
        """`resource` was deleted: its tokens are forgotten 36 hours from now."""
        for remembered in self.tokens.values():
            if remembered.resource == resource and remembered.gone_at is None:
                remembered.gone_at = self.clock()


def moto_json(
    moto: str, method: str, path: str, service: str, body: dict | None = None, target: str = ""
) -> dict:
    """A call straight to the moto server (a client here would come back through the fake
    HTTP layer); moto routes by the credential scope's service and checks no signature."""
    headers = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261206/us-east-1/"
        f"{service}/aws4_request, SignedHeaders=host, Signature=0",
        "Content-Type": "application/x-amz-json-1.1" if target else "application/json",
    }
    if target:
        headers["X-Amz-Target"] = target
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{moto}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request) as reply:
            return json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        detail = json.loads(error.read() or b"{}")
        code = (
            detail.get("__type") or error.headers.get("x-amzn-ErrorType") or "ValidationException"
        )
        message = detail.get("message") or detail.get("Message") or str(error)
        raise AwsError(code.split("#")[-1].split(":")[0], message, error.code) from error
