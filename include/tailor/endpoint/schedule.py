"""When the endpoint should be up: working-day mornings to evenings, in one timezone.

The crons are read at DAG parse time, so they come from environment variables
(``TAILOR_ENDPOINT_UP_CRON``, ``TAILOR_ENDPOINT_DOWN_CRON``, ``TAILOR_TIMEZONE``) rather
than Airflow Variables, and the same values decide the state a finished job restores.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

DEFAULT_UP = "0 7 * * 1-5"
DEFAULT_DOWN = "0 20 * * 1-5"
NEVER = "never"  # as the down cron: up around the clock; as the up cron: down but for leases


@dataclass(frozen=True)
class EndpointSchedule:
    up_cron: str = DEFAULT_UP
    down_cron: str = DEFAULT_DOWN
    timezone: str = "UTC"
    copies_when_up: int = 1

    def __post_init__(self) -> None:
        if self.timezone.upper() == "UTC":  # Airflow's default is spelled "utc"
            object.__setattr__(self, "timezone", "UTC")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {self.timezone!r} (TAILOR_TIMEZONE)") from None
        if self.up_cron == self.down_cron == NEVER:
            raise ValueError("the endpoint schedule needs an up or a down cron, not 'never' twice")
        for cron in (self.up_cron, self.down_cron):
            if cron != NEVER and not croniter.is_valid(cron):
                raise ValueError(f"invalid cron expression {cron!r} for the endpoint schedule")

    @classmethod
    def from_env(cls, timezone: str = "UTC") -> EndpointSchedule:
        """The crons from ``TAILOR_ENDPOINT_UP_CRON``/``_DOWN_CRON``, read in `timezone`."""
        return cls(
            up_cron=os.environ.get("TAILOR_ENDPOINT_UP_CRON", DEFAULT_UP),
            down_cron=os.environ.get("TAILOR_ENDPOINT_DOWN_CRON", DEFAULT_DOWN),
            timezone=timezone,
        )

    @property
    def crons(self) -> list[str]:
        """The crons that fire: the times `endpoint_schedule` runs."""
        return [c for c in (self.up_cron, self.down_cron) if c != NEVER]

    def _last(self, cron: str, when: datetime) -> datetime:
        local = when.astimezone(ZoneInfo(self.timezone))
        return croniter(cron, local + timedelta(microseconds=1)).get_prev(datetime)

    def copies_at(self, when: datetime) -> int:
        """Scheduled copies at `when`: up if the last up-time is later than the last down-time."""
        if NEVER in (self.up_cron, self.down_cron):
            return self.copies_when_up if self.down_cron == NEVER else 0
        up = self._last(self.up_cron, when)
        down = self._last(self.down_cron, when)
        return self.copies_when_up if up > down else 0

    def transitions(self, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
        """(time, copies) at `start` and at every scheduled change up to `end`."""
        changes = [(start, self.copies_at(start))]
        zone = ZoneInfo(self.timezone)
        for cron, copies in ((self.up_cron, self.copies_when_up), (self.down_cron, 0)):
            if cron == NEVER:
                continue
            times = croniter(cron, start.astimezone(zone))
            while (moment := times.get_next(datetime)) < end:
                changes.append((moment, copies))
        return sorted(changes, key=lambda change: change[0])
