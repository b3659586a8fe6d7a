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
    score its answers in a job of its own (a judge whose model Bedrock does not batch, or
    with too few answers for one, judges online first); returns the approach."""

    template_fields: Sequence[str] = ("approach", "judges")

    def __init__(self, *, approach: str, judges: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.approach, self.judges = approach, judges

    def execute(self, context: Context) -> str:
        from tailor_airflow.batch_night import answer_job

        date, attempt = self._night(context)
        job = answer_job(self.approach, date, attempt)
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
        jobs = start_judging(self.approach, list(self.judges), date, attempt)
        online = [judge for judge in self.judges if judge not in jobs]
        if online:
            score_stored(self.approach, online, date, bertscore=False)
        if jobs:
            self._wait(list(jobs.values()), "judged")
        return self.approach

    def judged(self, context: Context, event: dict[str, Any]) -> str:
        from tailor_airflow.batch_night import finish_judging, judging_jobs

        waited = _ended(event)
        date, attempt = self._night(context)
        jobs = judging_jobs(self.approach, list(self.judges), date, attempt)
        finish_judging(self.approach, {j: arn for j, arn in jobs.items() if arn in waited}, date)
        return self.approach

    def _night(self, context: Context) -> tuple[str, str]:
        from tailor_airflow.night import attempt_key, evaluated_date

        return evaluated_date(context), attempt_key(context)

    def _wait(self, jobs: list[str], then: str) -> None:
        """Defer until the jobs end; the resumed method finds them again by what was stored
        (`dag.test` resumes a task with the event alone, without the defer's kwargs)."""
        from tailor_airflow.batch_inference import jobs_trigger
        from tailor_airflow.config import load_settings

        self.defer(trigger=jobs_trigger(load_settings(), jobs), method_name=then)


def _ended(event: dict[str, Any]) -> set[str]:
    """The jobs waited for, once every one has ended (each job's state is read again with its
    replies); a timeout or an unknown state fails the task."""
    if event.get("status") != "done":
        raise AirflowException(f"batch inference wait ended without the jobs: {event}")
    return set(event["jobs"])
