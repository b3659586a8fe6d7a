"""What every Tailor DAG shares: ownership, retries, and the schedule's timezone."""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.configuration import conf
from airflow.sdk import CronTriggerTimetable

DEFAULT_ARGS = {
    "owner": "tailor",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
}

# nightly_eval's mapped answer and judge tasks running at once in one run: three keeps the
# approaches' remote calls overlapping on aws and fits two local models in memory
EVAL_TASK_SLOTS = int(os.environ.get("TAILOR_EVAL_TASK_SLOTS", "3"))


def cron(expression: str) -> CronTriggerTimetable:
    """A cron schedule in ``TAILOR_TIMEZONE`` (default: Airflow's core.default_timezone)."""
    timezone = os.environ.get("TAILOR_TIMEZONE") or conf.get("core", "default_timezone")
    return CronTriggerTimetable(expression, timezone=timezone)
