"""nightly_eval's `batch_jobs` task: on a batch night, one approach's Bedrock batch jobs
(its answers, then its judgements) waited for in the triggerer, after the endpoint's lease
has ended. On an online night `answer` answered and scored every approach and returned
nothing to map over: Airflow skips this task without starting a worker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowException


class BatchJobsOperator(BaseOperator):
    """Wait for the approach's answer job (rag, base), then have each judge of the panel
    score its answers in a job of its own; returns the approach."""

    template_fields: Sequence[str] = ("approach", "judges")

    def __init__(self, *, approach: str, judges: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.approach, self.judges = approach, judges

    def execute(self, context: Context) -> str:
        from tailor_airflow.batch_night import answer_job

        date, attempt = self._night(context)
        job = answer_job(self.approach, date, attempt, context["ti"].try_number)
        if job:
            self._wait([job], "answered")
        return self._judge(context)

    def answered(self, context: Context, event: dict[str, Any]) -> str:
        from tailor_airflow.batch_night import finish_answers
        from tailor_airflow.evaluation import score_stored

        _ended(event)
        date = self._night(context)[0]
        finish_answers(self.approach, date)
        score_stored(self.approach, [], date)  # BERTScore: the judges get jobs of their own
        return self._judge(context)

    def _judge(self, context: Context) -> str:
        from tailor_airflow.batch_night import start_judging
        from tailor_airflow.evaluation import score_stored

        date, attempt = self._night(context)
        jobs = start_judging(self.approach, list(self.judges), date, attempt,
                             context["ti"].try_number) if self.judges else []  # fmt: skip
        if jobs:
            self._wait(jobs, "judged")
        # too few for a job: judged online
        return score_stored(self.approach, list(self.judges), date, bertscore=False)

    def judged(self, context: Context, event: dict[str, Any]) -> str:
        from tailor_airflow.batch_night import finish_judging

        finish_judging(self.approach, list(self.judges), self._night(context)[0],
                       _ended(event))  # fmt: skip
        return self.approach

    def _night(self, context: Context) -> tuple[str, str]:
        from tailor_airflow.evaluation import attempt_key, evaluated_date

        return evaluated_date(context), attempt_key(context)

    def _wait(self, jobs: list[str], then: str) -> None:
        from tailor_airflow.batch_inference import jobs_trigger
        from tailor_airflow.config import load_settings

        self.defer(trigger=jobs_trigger(load_settings(), jobs), method_name=then)


def _ended(event: dict[str, Any]) -> list[str]:
    """The jobs waited for, in the order they were started, once every one has ended (each
    job's state is read with its replies); a timeout or an unknown state fails the task."""
    if event.get("status") != "done":
        raise AirflowException(f"batch inference wait ended without the jobs: {event}")
    return list(event["jobs"])
