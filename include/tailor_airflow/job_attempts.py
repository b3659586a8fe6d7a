"""A candidate's training job attempts: one name per attempt, each recorded with its ARN.

A SageMaker training job or a Bedrock customization job that ended Failed (Bedrock: or
Stopped) cannot be started again, and its name (with a Bedrock client token) stays taken: a
retry that re-attached to it would fail at once, every time. So each attempt gets a name of
its own (``tailor-<candidate>``, then ``-a2``, ``-a3``...), and the attempts are kept in
``models/<version>/attempts/<candidate>.json``: a retry finds the current attempt by what
it stored before anything is created again, and the lineage records every attempt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tailor.settings import Settings
from tailor.storage import write_atomic
from tailor_airflow.config import models_root

MAX_NAME = 63  # SageMaker training jobs and Bedrock customization jobs alike


@dataclass(frozen=True)
class JobAttempts:
    path: Any  # models/<version>/attempts/<candidate>.json
    base: str  # the first attempt's name: the candidate's resource name

    @classmethod
    def of(cls, settings: Settings, version: str, candidate: str, base: str) -> JobAttempts:
        return cls(models_root(settings) / version / "attempts" / f"{candidate}.json", base)

    def all(self) -> list[dict[str, Any]]:
        return json.loads(self.path.read_text()) if self.path.exists() else []

    def last(self) -> dict[str, Any] | None:
        attempts = self.all()
        return attempts[-1] if attempts else None

    def next_name(self) -> str:
        """The name of the attempt after the recorded ones."""
        number = len(self.all()) + 1
        if number == 1:
            return self.base
        suffix = f"-a{number}"
        return f"{self.base[: MAX_NAME - len(suffix)]}{suffix}"

    def started(self, name: str, arn: str) -> None:
        self._write(
            [
                *self.all(),
                {
                    "name": name,
                    "arn": arn,
                    "status": "started",
                    "started_at": datetime.now(UTC).isoformat(),
                },
            ]
        )

    def ended(self, status: str, message: str | None = None) -> None:
        """The current attempt's end, kept once (a retry reads it again)."""
        attempts = self.all()
        if attempts and attempts[-1]["status"] != status:
            attempts[-1].update(status=status, message=message)
            self._write(attempts)

    def _write(self, attempts: list[dict[str, Any]]) -> None:
        write_atomic(self.path, json.dumps(attempts, indent=2).encode())
