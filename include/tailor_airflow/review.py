"""nightly_eval's human-in-the-loop step: a person grades the night's most disputed answers.

After the summary (the night's results are written before it asks anything), Airflow's
`HITLEntryOperator` parks the task until someone fills in a 0-10 grade per answer in the UI
(or the REST API). It never holds the results back: a timeout (`review_timeout_hours`) ends it
with no grades, and the night stays successful. Grades are kept in
``evaluations/history_human/`` beside every scorer's score of the graded answer; the next
nights measure each judge against them (`tailor.evaluation.review`).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import HITLEntryOperator
from airflow.sdk import Context, Param
from airflow.sdk.definitions.param import ParamsDict

from tailor.evaluation.night_store import HUMAN_GRADES, NightStore
from tailor.evaluation.results import read_history, records, write_history
from tailor.evaluation.review import disputed
from tailor.storage import write_atomic
from tailor_airflow.config import data_layout, load_settings
from tailor_airflow.night import evaluated_date, night_store


def grade_field(number: int) -> str:
    return f"grade_{number}"


def review_body(asked: list[dict[str, Any]]) -> str:
    """What the person reads: each answer beside its reference, with what the scorers said."""
    parts = [
        "Grade each answer 0-10 against its reference (10: correct and complete; any wrong "
        "statement about the product: low). Leave a grade empty to skip that answer."
    ]
    for number, item in enumerate(asked, 1):
        scores = ", ".join(f"{k} {v:.2f}" for k, v in item["scores"].items() if v is not None)
        parts += [
            f"### {number}. {item['approach']}: {item['question']}",
            f"**Reference:**\n\n{item['reference']}",
            f"**Answer:**\n\n{item['answer']}",
            f"_Scores: {scores}_",
        ]
    return "\n\n".join(parts)


class ReviewAnswersOperator(HITLEntryOperator):
    """Ask a person to grade the night's `review_answers` most disputed answers.

    :param approaches: the approaches the night summarized (templated).
    """

    template_fields = (*HITLEntryOperator.template_fields, "approaches")

    def __init__(self, *, approaches: Any, **kwargs: Any) -> None:
        super().__init__(subject="Grade tonight's most disputed answers", **kwargs)
        self.approaches = approaches

    @staticmethod
    def _night(settings, context: Context) -> NightStore:
        return night_store(settings, evaluated_date(context))

    def execute(self, context: Context) -> Any:
        settings = load_settings()
        requested = context["params"].get("review_answers")
        count = settings.review_answers if requested is None else requested
        night = self._night(settings, context)
        judges = night.judges()["calibration"]
        rows = {a: night.rows(a) for a in self.approaches}
        asked = disputed(rows, [j["judge"] for j in judges], count) if count else []
        if not asked:
            self.log.info("No answers to review tonight (review_answers %s)", count)
            return None
        write_atomic(night.review_file, json.dumps(asked, indent=2).encode())
        self.params = ParamsDict(
            {
                grade_field(n): Param(
                    None,
                    type=["null", "integer"],
                    minimum=0,
                    maximum=10,
                    title=f"Grade of answer {n}",
                    description=f"{item['approach']}: {item['question']}",
                )
                for n, item in enumerate(asked, 1)
            }
        )
        self.body = review_body(asked)
        self.response_timeout = timedelta(hours=settings.review_timeout_hours)
        self.log.info(
            "Waiting up to %s h for grades of %d disputed answers",
            settings.review_timeout_hours,
            len(asked),
        )
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Keep the grades given; a timeout keeps none and is not a failure."""
        if event.get("timedout") or "error" in event:
            self.log.info("No grades: the review timed out after %s", self.response_timeout)
            return None
        result = super().execute_complete(context, event)
        night = self._night(load_settings(), context)
        asked = json.loads(night.review_file.read_text())
        given = event["params_input"] or {}
        user = event["responded_by_user"]
        by = (user.get("name") or user.get("id")) if isinstance(user, dict) else user
        grades = [
            {
                "approach": item["approach"],
                "index": item["index"],
                "question": item["question"],
                "grade": int(given[grade_field(n)]),
                "by": by,
                "at": str(event["responded_at"]),
                **item["scores"],
            }
            for n, item in enumerate(asked, 1)
            if given.get(grade_field(n)) is not None
        ]
        if grades:
            write_history(night.human_grades, night.date, grades, {"run_id": context["run_id"]})
        self.log.info("%d of %d answers graded by %s", len(grades), len(asked), by)
        return result


def human_grades(settings, up_to: str) -> list[dict[str, Any]]:
    """Every grade people gave on nights up to `up_to`, oldest first."""
    frame = read_history(
        data_layout(settings).evaluations / HUMAN_GRADES, ("date", "approach", "index")
    )
    return [r for r in records(frame) if r["date"] <= up_to]
