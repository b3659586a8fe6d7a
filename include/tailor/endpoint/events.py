"""Every scaling event, one object each, so the endpoint's hours can be proven later."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tailor.storage import write_atomic


@dataclass(frozen=True)
class ScalingEvent:
    at: str  # ISO 8601
    from_copies: int
    to_copies: int
    reason: str
    run_id: str


def record_event(root: Any, event: ScalingEvent) -> None:
    """One object per event (S3 has no append); names sort in time order."""
    stamp = datetime.fromisoformat(event.at).astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    write_atomic(
        root / f"{stamp}-{event.from_copies}-to-{event.to_copies}.json",
        json.dumps(asdict(event)).encode(),
    )


def load_events(root: Any) -> list[ScalingEvent]:
    if not root.exists():
        return []
    events = [
        ScalingEvent(**json.loads(path.read_text()))
        for path in root.iterdir()
        if path.name.endswith(".json")
    ]
    return sorted(events, key=lambda e: datetime.fromisoformat(e.at))
