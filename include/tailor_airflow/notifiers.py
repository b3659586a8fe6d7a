"""Who hears about a regression: the log always, an SNS topic when one is configured."""

from __future__ import annotations

import logging
import os

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)


class RegressionLogNotifier(BaseNotifier):
    """Writes the failed check's reason where operators look first: the task log."""

    def notify(self, context) -> None:
        reason = context.get("exception") or "see the check_regression log"
        log.warning("Tailor regression on %s: %s", context["dag_run"].run_id, reason)


def regression_notifiers() -> list[BaseNotifier]:
    """The log notifier, plus the provider's SnsNotifier for ``TAILOR_REGRESSION_SNS_TOPIC``."""
    notifiers: list[BaseNotifier] = [RegressionLogNotifier()]
    topic = os.environ.get("TAILOR_REGRESSION_SNS_TOPIC")
    if topic:
        from airflow.providers.amazon.aws.notifications.sns import SnsNotifier

        notifiers.append(
            SnsNotifier(
                target_arn=topic,
                region_name=topic.split(":")[3],  # a topic lives in its ARN's region
                subject="Tailor: nightly_eval regressed",
                message="nightly_eval {{ dag_run.run_id }}: the panel score regressed; "
                "see check_regression's log.",
            )
        )
    return notifiers
