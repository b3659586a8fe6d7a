"""Replies AWS could have sent: every canned reply is checked against botocore's output shape.

botocore's Stubber checks only types and required members, and a hand-made HTTP reply is not
checked at all; AWS's models also carry enums, patterns (`[0-9a-zA-Z]{10}` ingestion job ids,
12-digit accounts in ARNs) and lengths. `validate_reply` checks all of them, on the parsed
reply (what the caller sees), so a canned reply that could not come from AWS fails the test.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any

import botocore.session
import regex  # botocore's patterns are Java regular expressions (\\p{...} and the like)
from airflow.sdk.exceptions import AirflowFailException
from botocore.model import Shape
from botocore.response import StreamingBody

_session = botocore.session.get_session()
_patterns: dict[str, Any] = {}


class InvalidReply(AirflowFailException):
    """A canned reply is the test's defect: the task fails at once, never retried."""


def validate_reply(service: str, operation: str, reply: dict) -> None:
    """Raise InvalidReply naming every member of `reply` that botocore's model rules out."""
    shape = _session.get_service_model(service).operation_model(operation).output_shape
    problems: list[str] = []
    if shape is not None:
        body = {k: v for k, v in reply.items() if k != "ResponseMetadata"}
        _check(shape, body, operation, problems)
    if problems:
        raise InvalidReply(
            f"{service}.{operation} reply AWS would never send:\n  " + "\n  ".join(problems)
        )


# Values AWS sends that botocore's enum lacks, by enum shape: GetFoundationModel lists
# INFERENCE_PROFILE for a model served only through cross-region inference profiles (the
# documented enum is ON_DEMAND | PROVISIONED)
UNDOCUMENTED_VALUES = {"InferenceType": {"INFERENCE_PROFILE"}}

# Java spells "any supplementary character" as a surrogate-pair range; Python needs the code points
JAVA_SURROGATES = r"\uD800\uDC00-\uDBFF\uDFFF"


def _pattern(text: str):
    if text not in _patterns:
        _patterns[text] = regex.compile(text.replace(JAVA_SURROGATES, r"\U00010000-\U0010FFFF"))
    return _patterns[text]


def _check(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    kind, meta = shape.type_name, shape.metadata
    if getattr(shape, "is_document_type", False):
        return  # free-form JSON
    if kind == "structure":
        if not isinstance(value, dict):
            problems.append(f"{where}: {value!r} is not a structure")
            return
        for name in shape.required_members:
            if name not in value and shape.members[name].serialization.get("location") is None:
                problems.append(f"{where}.{name}: required member missing")
        for name, member in value.items():
            if name not in shape.members:
                problems.append(f"{where}.{name}: not a member of {shape.name}")
            else:
                _check(shape.members[name], member, f"{where}.{name}", problems)
    elif kind == "list":
        if not isinstance(value, list):
            problems.append(f"{where}: {value!r} is not a list")
            return
        _length(meta, len(value), where, problems)
        for index, item in enumerate(value):
            _check(shape.member, item, f"{where}[{index}]", problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append(f"{where}: {value!r} is not a map")
            return
        for key, item in value.items():
            _check(shape.key, key, f"{where} key", problems)
            _check(shape.value, item, f"{where}[{key!r}]", problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: {value!r} is not a string")
            return
        if shape.enum and value not in {*shape.enum, *UNDOCUMENTED_VALUES.get(shape.name, ())}:
            problems.append(f"{where}: {value!r} is not one of {shape.enum}")
        _length(meta, len(value), where, problems)
        if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
            problems.append(f"{where}: {value!r} does not match {meta['pattern']}")
    elif kind in ("integer", "long", "float", "double"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(f"{where}: {value!r} is not a number")
            return
        if kind in ("integer", "long") and not isinstance(value, int):
            problems.append(f"{where}: {value!r} is not an integer")
        if "min" in meta and value < meta["min"] or "max" in meta and value > meta["max"]:
            problems.append(f"{where}: {value} outside [{meta.get('min')}, {meta.get('max')}]")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{where}: {value!r} is not a boolean")
    elif kind == "timestamp" and not isinstance(value, datetime.datetime):
        problems.append(f"{where}: {value!r} is not a timestamp")
    elif kind == "blob" and not isinstance(value, bytes | bytearray | StreamingBody):
        problems.append(f"{where}: {value!r} is not a blob")


def _length(meta: dict, length: int, where: str, problems: list[str]) -> None:
    if "min" in meta and length < meta["min"] or "max" in meta and length > meta["max"]:
        problems.append(f"{where}: length {length} outside [{meta.get('min')}, {meta.get('max')}]")


# ---- which replies were canned ----------------------------------------------------------------
_canned = threading.local()


def mark_canned() -> None:
    """Called by a fake for each reply it makes up; the client call then validates it."""
    _canned.flag = True


def take_canned() -> bool:
    flag = getattr(_canned, "flag", False)
    _canned.flag = False
    return flag


def validate_canned_replies(monkeypatch) -> None:
    """Every client call answered by a fake has its parsed reply validated."""
    from botocore.client import BaseClient

    call = BaseClient._make_api_call

    def validated(client, operation: str, params: dict):
        take_canned()
        reply = call(client, operation, params)
        if take_canned():
            validate_reply(client.meta.service_model.service_name, operation, reply)
        return reply

    monkeypatch.setattr(BaseClient, "_make_api_call", validated)

    from aiobotocore.client import AioBaseClient

    async_call = AioBaseClient._make_api_call

    async def validated_async(client, operation: str, params: dict):
        take_canned()
        reply = await async_call(client, operation, params)
        if take_canned():
            validate_reply(client.meta.service_model.service_name, operation, reply)
        return reply

    monkeypatch.setattr(AioBaseClient, "_make_api_call", validated_async)
