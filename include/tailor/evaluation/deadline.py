"""When a night's evaluation must be done: a time of day after the nightly cron fires.

Airflow's deadline is an interval after a reference; Tailor's setting is a clock time
(``TAILOR_EVAL_DEADLINE``, default 07:00 in ``TAILOR_TIMEZONE``), so the interval is the time
from the cron's firing to the next such clock time. It is measured from when the run is queued,
not from its logical date: a backfilled past night gets the same hours, not an alert at once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter

DEFAULT_DEADLINE = "07:00"
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def deadline_interval(
    cron: str, clock: str, timezone: str, now: datetime | None = None
) -> timedelta:
    """Time from the cron's next firing to the first `clock` (HH:MM) after it, in `timezone`."""
    match = _CLOCK.match(clock.strip())
    if not match:
        raise ValueError(f"TAILOR_EVAL_DEADLINE must be a time of day HH:MM, not {clock!r}")
    zone = ZoneInfo("UTC" if timezone.upper() == "UTC" else timezone)
    fires = croniter(cron, (now or datetime.now(zone)).astimezone(zone)).get_next(datetime)
    due = fires.replace(hour=int(match[1]), minute=int(match[2]), second=0, microsecond=0)
    if due <= fires:
        due += timedelta(days=1)
    return due - fires
