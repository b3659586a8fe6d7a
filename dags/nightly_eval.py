"""
### nightly_eval — answer the test set with every approach and score it

**Schedule:** 01:00 every night (`TAILOR_EVAL_CRON`, `TAILOR_TIMEZONE`); no catchup, but
`airflow backfill create` fills past dates. Results are keyed by the run's logical date
(or its trigger time when a manual run has none): a rerun of a date replaces that date.

1. **prepare_cases** loads the test set; entries with missing fields or unknown products
   are reported and skipped.
2. **wake_endpoint** (setup) takes a lease and wakes the model endpoint.
3. **answer** (one mapped task per approach): `rag` (retrieval + base model),
   `fine_tuned` (the endpoint, no context), `hybrid` (retrieval + the endpoint), `base`
   (base model, no context). Latency (retrieval/generation), tokens and chunk ids are kept
   with every answer. An asleep endpoint marks its approaches unavailable; the rest score.
4. **restore_endpoint** (teardown) releases the lease and restores the scheduled state.
5. **score** (mapped) computes BERTScore F1 per answer and writes the reference's
   per-approach results file.
6. **summarize** writes `summary_results.csv` (the reference's columns first), replaces the
   date's partition of the evaluation history, and prints the results table.

Status: embedded backend only; the judge panel, cost and regression check are not built yet.

**Params**
- `approaches` — which approaches to answer with.
- `sample_limit` — evaluate only the first N test cases (0: all).
- `rescore_only` — score the answers stored for this date again instead of answering.
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import Param, dag, task

from tailor_airflow.dag_defaults import DEFAULT_ARGS, cron
from tailor_airflow.scaling import RestoreEndpointOperator, WakeEndpointOperator

APPROACHES = ["rag", "fine_tuned", "hybrid", "base"]


@dag(
    dag_id="nightly_eval",
    schedule=cron(os.environ.get("TAILOR_EVAL_CRON", "0 1 * * *")),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["tailor", "evaluation"],
    doc_md=__doc__,
    params={
        "approaches": Param(
            APPROACHES,
            type="array",
            items={"type": "string", "enum": APPROACHES},
            minItems=1,
            uniqueItems=True,
            title="Approaches",
            description="Approaches to evaluate: rag, fine_tuned, hybrid, base.",
        ),
        "sample_limit": Param(
            0,
            type="integer",
            minimum=0,
            title="Sample limit",
            description="Evaluate only the first N test cases (0: all).",
        ),
        "rescore_only": Param(
            False,
            type="boolean",
            title="Re-score only",
            description="Score the answers stored for this date again, without answering.",
        ),
    },  # fmt: skip
)
def nightly_eval():
    @task
    def prepare_cases(params: dict[str, Any]) -> list[dict[str, str]]:
        from tailor_airflow.evaluation import prepare_cases as prepare

        return prepare(params["sample_limit"])

    @task
    def approaches(params: dict[str, Any]) -> list[str]:
        return list(params["approaches"])

    @task(max_active_tis_per_dagrun=2)
    def answer(approach: str, cases: list[dict], params: dict[str, Any], **context) -> str:
        from tailor_airflow.evaluation import answer_approach, evaluated_date

        return answer_approach(approach, cases, evaluated_date(context), params["rescore_only"])

    @task
    def score(approach: str, **context) -> str:
        from tailor_airflow.evaluation import evaluated_date, score_approach

        return score_approach(approach, evaluated_date(context))

    @task
    def summarize(scored: list[str], run_id: str, **context) -> str:
        from tailor_airflow.evaluation import evaluated_date, summarize_night

        return summarize_night(list(scored), evaluated_date(context), run_id)

    cases = prepare_cases()
    wake = WakeEndpointOperator(task_id="wake_endpoint")
    restore = RestoreEndpointOperator(task_id="restore_endpoint")
    answered = answer.partial(cases=cases).expand(approach=approaches())
    cases >> wake >> answered >> restore.as_teardown(setups=wake)
    summarize(score.expand(approach=answered))


nightly_eval()
