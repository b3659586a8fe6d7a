"""Bedrock batch inference for a large night: Converse requests in, Converse replies out.

A job reads one JSONL record per request (``recordId``, ``modelInput``: the Converse body)
and writes one per record (``modelOutput``: the Converse reply, or ``error``) and a
``manifest.json.out`` with the counts; each record succeeds or fails on its own. Bedrock
bills batch tokens at half the on-demand price but takes minutes to hours, and runs a job
only from a minimum number of records, a per-model quota ("Minimum number of records per
batch inference job for <model>", Service Quotas; `BATCH_MINIMUM` where none is found).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from tailor.converse import user_turn
from tailor.errors import InputError

BATCH_MINIMUM = 100  # the quota's default: "Minimum number of records per batch inference job"
MINIMUM_QUOTA = "Minimum number of records per batch inference job for "  # + the model's name
RUNNING = frozenset({"Submitted", "Validating", "Scheduled", "InProgress", "Stopping"})
USABLE = frozenset({"Completed", "PartiallyCompleted"})  # every record, or some, answered
FAILED = frozenset({"Failed", "Stopped", "Expired"})
INPUT_FILE = "records.jsonl"
_NAME = re.compile(r"[^a-zA-Z0-9]+")
_WORD_BREAK = re.compile(r"[^a-z0-9]+|(?<=[a-z])(?=[0-9])")  # "llama3-1" -> llama 3 1


def record_id(index: int) -> str:
    """Bedrock's record ids are 11 alphanumeric characters: the request's index, padded."""
    return f"R{index:010d}"


def converse_records(prompts: Sequence[str], inference: dict[str, Any]) -> bytes:
    """The job's input: one Converse request per prompt (`inference`: its inferenceConfig),
    its record id from its index."""
    lines = (
        json.dumps(
            {
                "recordId": record_id(i),
                "modelInput": {"messages": user_turn(prompt), "inferenceConfig": inference},
            }
        )
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


def attempt_name(name: str, attempt: int) -> str:
    """A job's name for its `attempt`-th start (1: the name itself): a job that ended Failed,
    Stopped or Expired cannot be started again, so a retry starts another under a new name."""
    return name if attempt == 1 else f"{name[:58]}-r{attempt}"


def _words(text: str) -> list[str]:
    return [w for w in _WORD_BREAK.split(text.lower()) if w]


def _names(model_id: str, quota_model: str) -> bool:
    """Whether a quota's model name ("Llama 3.1 8B Instruct") names `model_id`
    ("us.meta.llama3-1-8b-instruct-v1:0"): its words, in order, among the id's."""
    words = iter(_words(model_id))
    return all(any(w == want for w in words) for want in _words(quota_model))


def quota_minimum(quotas: dict[str, float], model_id: str) -> int | None:
    """The model's minimum records per batch job among Service Quotas' `quotas` (name ->
    value); None when no quota names it, or two name it equally well (never a guess).

    Quotas name models by their display names, not their ids: the quota whose name's words
    appear in the id, in order, names it; of several, the one with the most words ("Claude
    3.5 Sonnet v2" over "Claude 3.5 Sonnet" for ``anthropic.claude-3-5-sonnet-20241022-v2:0``).
    """
    named = {
        name.removeprefix(MINIMUM_QUOTA): value
        for name, value in quotas.items()
        if name.startswith(MINIMUM_QUOTA)
    }
    matches = sorted(
        ((len(_words(model)), value) for model, value in named.items() if _names(model_id, model)),
        reverse=True,
    )
    if not matches or (len(matches) > 1 and matches[0][0] == matches[1][0]):
        return None
    return int(matches[0][1])


def output_problem(
    replies: Sequence[dict[str, Any] | None], manifest: dict[str, Any] | None, count: int
) -> str | None:
    """What is wrong with a finished job's output against its ``manifest.json.out`` (None:
    nothing): a job that counted other records than were sent, or answered records its output
    does not hold, was not read whole."""
    if manifest is None:
        return None
    total, success = manifest.get("totalRecordCount"), manifest.get("successRecordCount")
    answered = sum(r is not None for r in replies)
    if total is not None and total != count:
        return f"its manifest counts {total} records, {count} were sent"
    if success is not None and success != answered:
        return f"its manifest counts {success} answered records, its output holds {answered}"
    return None
