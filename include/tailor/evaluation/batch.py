"""Bedrock batch inference for a large night: Converse requests in, Converse replies out.

A job reads one JSONL record per request (``recordId``, ``modelInput``: the Converse body)
and writes one per record (``modelOutput``: the Converse reply, or ``error``); each record
succeeds or fails on its own. Bedrock bills batch tokens at half the on-demand price but
takes minutes to hours, and runs a job only from `BATCH_MINIMUM` records.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from tailor.converse import user_turn
from tailor.errors import InputError

BATCH_MINIMUM = 100  # Bedrock's quota "minimum number of records per batch inference job"
RUNNING = frozenset({"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"})
USABLE = frozenset({"Completed", "PartiallyCompleted"})  # every record, or some, answered
FAILED = frozenset({"Failed", "Stopped", "Expired"})
INPUT_FILE = "records.jsonl"
_NAME = re.compile(r"[^a-zA-Z0-9]+")


def record_id(index: int) -> str:
    """Bedrock's record ids are 11 alphanumeric characters: the request's index, padded."""
    return f"R{index:010d}"


def converse_records(prompts: Sequence[str], inference: dict[str, Any]) -> bytes:
    """The job's input: one Converse request per prompt (`inference`: its inferenceConfig),
    its record id from its index."""
    lines = (
        json.dumps({"recordId": record_id(i), "modelInput": {
            "messages": user_turn(prompt), "inferenceConfig": inference}})  # fmt: skip
        for i, prompt in enumerate(prompts)
    )
    return "".join(line + "\n" for line in lines).encode()


def converse_replies(jsonl: bytes, source: str, count: int) -> list[dict[str, Any] | None]:
    """The job's output in request order: each record's Converse reply, None where the record
    failed or is absent (missing, never a default)."""
    replies: list[dict[str, Any] | None] = [None] * count
    for number, line in enumerate(jsonl.decode().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            index = int(record["recordId"].removeprefix("R"))
        except (json.JSONDecodeError, KeyError, ValueError, AttributeError) as error:
            raise InputError(source, number, f"not a batch output record: {error}") from None
        if 0 <= index < count and "modelOutput" in record:
            replies[index] = record["modelOutput"]
    return replies


def job_name(date: str, part: str, attempt: str) -> str:
    """A job name (<= 63 characters, Bedrock's pattern) that says what it answers and is the
    same for every try of one run attempt, so a retried task finds its job again."""
    digest = hashlib.sha256(f"{attempt}|{part}".encode()).hexdigest()[:10]
    readable = _NAME.sub("-", f"tailor-{date}-{part}").strip("-")[: 63 - 11]
    return f"{readable}-{digest}"
