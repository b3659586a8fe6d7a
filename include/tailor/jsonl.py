"""JSON Lines: the training channel's and the gate's files, on a local disk or in S3."""

from __future__ import annotations

import json
from typing import Any

from tailor.storage import write_atomic


def write_jsonl(path: Any, records: list[dict[str, Any]]) -> None:
    """One JSON object per line, written atomically (a reader never sees half a file)."""
    write_atomic(path, "".join(json.dumps(r) + "\n" for r in records).encode())


def read_jsonl(path: Any) -> list[dict[str, Any]]:
    """Every non-blank line as a JSON object; a bad line is an error naming file and line."""
    from tailor.errors import InputError

    records = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise InputError(str(path), number, f"not valid JSON: {err.msg}") from None
    return records
