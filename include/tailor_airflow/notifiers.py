"""Who hears that a night went wrong: the log always, an SNS topic when one is configured.

A regression (check_regression failed) and a missed deadline (the night not finished in time)
go to the same notifiers, with their own subject and message.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)
REGRESSION = (
    "Tailor: nightly_eval regressed",
    "nightly_eval {{ dag_run.run_id }}: the panel score regressed; see check_regression's log.",
)
MISSED = "Tailor: nightly_eval missed its deadline"


class TailorLogNotifier(BaseNotifier):
    """Writes the reason where operators look first: the task's (or triggerer's) log."""

    template_fields = ("message",)

    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def notify(self, context) -> None:
        reason = context.get("exception")
        log.warning("%s%s", self.message, f": {reason}" if reason else "")

    async def async_notify(self, context) -> None:
        self.notify(context)


def tailor_notifiers(subject: str, message: str) -> list[BaseNotifier]:
    """The log notifier, plus the provider's SnsNotifier for ``TAILOR_REGRESSION_SNS_TOPIC``."""
    notifiers: list[BaseNotifier] = [TailorLogNotifier(f"{subject}: {message}")]
    topic = os.environ.get("TAILOR_REGRESSION_SNS_TOPIC")
    if topic:
        from airflow.providers.amazon.aws.notifications.sns import SnsNotifier

        notifiers.append(
            SnsNotifier(
                target_arn=topic,
                region_name=topic.split(":")[3],  # a topic lives in its ARN's region
                subject=subject,
                message=message,
            )
        )
    return notifiers


def regression_notifiers() -> list[BaseNotifier]:
    return tailor_notifiers(*REGRESSION)


async def deadline_missed(context: dict[str, Any]) -> None:
    """The DeadlineAlert's callback, run in the triggerer: `context` is the scheduler's plain
    one (the run as JSON, the deadline), so the message is written here, not templated."""
    run, deadline = context["dag_run"], context["deadline"]
    message = (
        f"nightly_eval {run['dag_run_id']} had not finished by {deadline['deadline_time']} "
        f"(state {run['state']}); see its task logs."
    )
    for notifier in tailor_notifiers(MISSED, message):
        await notifier.async_notify(context)
