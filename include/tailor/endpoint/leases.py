"""Leases: work that needs the endpoint says so, until it is done or the lease expires.

A lease is one small JSON object per holder in object storage (S3 or disk), so any worker
can see it. It expires on its own, so a crashed run cannot pin the endpoint up forever.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tailor.storage import write_atomic


@dataclass(frozen=True)
class Lease:
    holder: str
    run_id: str
    acquired_at: str
    expires_at: str

    def live(self, now: datetime) -> bool:
        return datetime.fromisoformat(self.expires_at) > now


def _key(holder: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", holder) + ".json"


class LeaseBook:
    def __init__(self, root: Any) -> None:
        self.root = root

    def acquire(
        self, holder: str, run_id: str, minutes: float, now: datetime | None = None
    ) -> Lease:
        now = now or datetime.now(UTC)
        lease = Lease(
            holder, run_id, now.isoformat(), (now + timedelta(minutes=minutes)).isoformat()
        )
        write_atomic(self.root / _key(holder), json.dumps(asdict(lease)).encode())
        return lease

    def release(self, holder: str) -> None:
        path = self.root / _key(holder)
        if path.exists():
            path.unlink()

    def live(self, now: datetime | None = None, excluding: str | None = None) -> list[Lease]:
        """Unexpired leases, other than `excluding`'s; expired ones are cleaned up."""
        now = now or datetime.now(UTC)
        if not self.root.exists():
            return []
        leases = []
        for path in sorted(self.root.iterdir(), key=str):
            if not path.name.endswith(".json"):
                continue
            lease = Lease(**json.loads(path.read_text()))
            if not lease.live(now):
                path.unlink()
            elif lease.holder != excluding:
                leases.append(lease)
        return leases
