"""What every Tailor DAG shares: ownership, retries, the schedule's timezone, and a cheap
parse-time check of the settings given through the environment."""

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


def check_settings_from_env() -> None:
    """Settings given as AIRFLOW_VAR_* environment variables (compose, MWAA, Astronomer) are
    validated when the DAGs are parsed, with no database access: a bad or unknown key shows
    as an import error naming it. Settings in the metadata DB are validated when a task reads
    them, and each AWS call checks the settings it needs."""
    if os.environ.get("AIRFLOW_VAR_TAILOR_SETTINGS") or os.environ.get(
        "AIRFLOW_VAR_TAILOR_BACKEND"
    ):
        from tailor.settings import settings_from_env

        settings_from_env()


check_settings_from_env()
