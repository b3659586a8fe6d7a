"""Client request tokens for AWS create calls: one token per creation, never per name.

Bedrock's create calls (CreateModelCustomizationJob, CreateModelInvocationJob,
CreateCustomModelDeployment, CreateProvisionedModelThroughput) say of ``clientRequestToken``:
"If this token matches a previous request, Amazon Bedrock ignores the request, but does not
return an error." How long a token is remembered is not documented (other AWS services keep
them 8 to 36 hours, some forever), and a remembered token answers with the first request's
reply even when what it created is gone. So a token names one creation — the resource's
name and the moment or attempt that creates it — and a resource deleted and made again
under its name (provisioned throughput, every working day) gets a new token each time. A
retry finds what it made by the ARN or name it stored, before anything is created again.
"""

from __future__ import annotations

import hashlib
import re

# botocore's model: IdempotencyToken (1-256, [a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?) and
# ModelInvocationIdempotencyToken ([a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}); this fits both
TOKEN = re.compile(r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,254}[a-zA-Z0-9])?")
_NOT_TOKEN = re.compile(r"[^a-zA-Z0-9-]+")


def creation_token(name: str, creation: str) -> str:
    """The token of one creation of `name`: readable (the name) and unique to `creation`
    (an attempt number, or the moment of a wake-up), within Bedrock's pattern and length."""
    readable = _NOT_TOKEN.sub("-", name).strip("-")[:200] or "tailor"
    digest = hashlib.sha256(f"{name}|{creation}".encode()).hexdigest()[:16]
    token = f"{readable}-{digest}"
    assert TOKEN.fullmatch(token), token  # by construction; a change here must keep it so
    return token
