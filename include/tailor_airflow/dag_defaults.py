"""What every Tailor DAG shares: ownership, retries and what never to retry, the schedule's
timezone, and a cheap parse-time check of the settings given through the environment."""

from __future__ import annotations

import os
from datetime import timedelta

from airflow.configuration import conf
from airflow.sdk import CronTriggerTimetable
from airflow.sdk.definitions.retry_policy import (
    ExceptionRetryPolicy,
    RetryAction,
    RetryDecision,
    RetryRule,
)

from tailor.endpoint.observe import EndpointNotFound
from tailor.endpoint.schedule import EndpointSchedule
from tailor.errors import InputError
from tailor.finetune.dataset import TrainingDataError
from tailor.ingestion import IngestionJobFailed
from tailor.manifest import SyncRefused
from tailor.settings import SettingsError

# AWS refusals a retry cannot fix: the role lacks a permission, or the credentials are not
# valid. (Throttling, expired tokens and eventual consistency are left to the retries.)
DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnrecognizedClientException", "InvalidClientTokenId"}
)


class FailFastPolicy(ExceptionRetryPolicy):
    """The exception rules, plus AWS ClientErrors by code (a type cannot tell AccessDenied from
    ThrottlingException: both are ClientError)."""

    def evaluate(self, exception, try_number, max_tries, context=None) -> RetryDecision:
        code = (getattr(exception, "response", None) or {}).get("Error", {}).get("Code")
        if code in DENIED_CODES:
            return RetryDecision.fail(
                f"AWS refused the call ({code}): fix the IAM policy or the connection "
                "(tailor preflight names what is missing)"
            )
        return super().evaluate(exception, try_number, max_tries, context)


# Errors a retry cannot fix fail at once: a typo in the catalog or the test set, a bad
# setting, a refused sync, training data that leaks test answers, an ingestion job that ended
# FAILED or STOPPED (its documents or data source need fixing), an endpoint that is not there,
# an AWS call the role may not make. Anything else (throttling, a lost worker, a network blip)
# gets the task's retries.
FAIL_FAST = FailFastPolicy(
    rules=[
        RetryRule(
            exception=[
                InputError,
                SettingsError,
                SyncRefused,
                TrainingDataError,
                IngestionJobFailed,
                EndpointNotFound,
            ],
            action=RetryAction.FAIL,
            reason="a retry cannot fix this: correct the input or setting named, then rerun",
        )
    ]
)

DEFAULT_ARGS = {
    "owner": "tailor",
    "retries": 2,
    "retry_delay": timedelta(minutes=2),
    "retry_policy": FAIL_FAST,
}

# nightly_eval's mapped answer and judge tasks running at once in one run: three keeps the
# approaches' remote calls overlapping on aws and fits two local models in memory
EVAL_TASK_SLOTS = int(os.environ.get("TAILOR_EVAL_TASK_SLOTS", "3"))


def tailor_timezone() -> str:
    """Where Tailor's crons and working hours are read: ``TAILOR_TIMEZONE``, else Airflow's
    core.default_timezone."""
    return os.environ.get("TAILOR_TIMEZONE") or conf.get("core", "default_timezone")


def cron(expression: str) -> CronTriggerTimetable:
    """A cron schedule in `tailor_timezone()`."""
    return CronTriggerTimetable(expression, timezone=tailor_timezone())


def endpoint_schedule() -> EndpointSchedule:
    """The endpoint's working hours (``TAILOR_ENDPOINT_UP_CRON``/``_DOWN_CRON``) in
    `tailor_timezone()`."""
    return EndpointSchedule.from_env(tailor_timezone())


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
