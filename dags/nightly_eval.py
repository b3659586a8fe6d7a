"""
### nightly_eval — answer the test set with every approach and score it

**Deadline:** a run not finished by 07:00 (`TAILOR_EVAL_DEADLINE`, the hours after the cron
fires, counted from when the run is queued) calls the regression notifiers from the triggerer.

**Schedule:** 01:00 every night (`TAILOR_EVAL_CRON`, `TAILOR_TIMEZONE`); with
`TAILOR_EVAL_FOLLOW_ASSETS=1` also after every Knowledge Base sync or model promotion. No
catchup, but `airflow backfill create` fills past dates. Results are keyed by the run's
logical date (or its trigger time when a manual run has none): a rerun of a date replaces
that date. A past date with stored answers is re-scored; without, it is answered by
today's systems and every row records the Knowledge Base and model versions that answered.

1. **prepare_cases** loads the test set; entries with missing fields or unknown products
   are reported and skipped. The night's cases are kept with their hashes and their product's
   catalog hash; a case whose product changed after the case last did is flagged
   `reference_may_be_stale` (still scored).
2. **wake_endpoint** (setup, beside prepare_cases: a wake-up from zero takes minutes) takes
   a lease and wakes the model endpoint.
3. **answer** (one mapped task per approach): `rag` (retrieval + base model),
   `fine_tuned` (the endpoint, no context), `hybrid` (retrieval + the endpoint), `base`
   (base model, no context). Latency (retrieval/generation), tokens and chunk ids are kept
   with every answer; on aws a task has a bounded pool of calls in flight with adaptive
   retries. An asleep endpoint marks its approaches unavailable; the rest score. The task
   also scores its approach: on aws each answer goes to tonight's panel (from **panel**) as
   soon as it is in, and BERTScore F1 scores them all in one pass at the end (its model
   loaded while answers are awaited); locally the judges (models in the task's process)
   score after the answers, side by side, then BERTScore.
4. **restore_endpoint** (teardown) releases the lease and restores the scheduled state.
5. **batch_jobs** (per approach): on aws a night of at least `batch_threshold` questions
   (default 100) sends the Bedrock answers (rag, base; started by `answer`) and the
   judgements to Bedrock batch inference jobs (half the token price; hours, not minutes),
   waited for in the triggerer after the endpoint's lease has ended. On other nights
   `answer` leaves it nothing to map over: Airflow skips it without starting a worker.
6. **panel** (at the start) picks tonight's judges (aws: LEGACY or unavailable models are
   left out); **judge_controls** (mapped per judge, beside the answers) scores the
   calibration controls of the sampled questions (positive, negative and harder kinds).
7. **summarize** calibrates the judges (below the minimum control separation: excluded from
   the panel mean), writes the per-approach results, `summary_results.csv` (the
   reference's columns first, then CIs, p95, tokens, agreement, monthly cost 24/7 and with
   the recorded endpoint hours, and staleness: the scores on products changed since the
   deployed model's training snapshot against the unchanged ones, with the gap's interval),
   diagnoses every answer (retrieval hit and rank, how much of the reference the context
   covers, how much of the answer the context and the reference support, facts no source
   holds) and names where each weak one went wrong (retrieval miss, generation miss, stale
   knowledge, knowledge miss), replaces the date's history partitions, prints the table.
8. **check_regression** fails, and notifies, when an approach's panel score falls below
   its trailing median by more than `regression_margin`.
9. **review_answers** (human in the loop, after the summary: the results are already
   written) asks a person to grade the night's `review_answers` most disputed answers — where
   the judges, BERTScore and the fact score rank an answer furthest apart — 0-10 each, in the
   UI or through the REST API. Its timeout (`review_timeout_hours`) is its own: no answer, no
   grades, and the night still succeeds. The grades join the history; a judge that agrees with
   the last 50 at a Spearman below `judge_min_human_agreement` (once there are
   `judge_min_human_grades`) is excluded from the panel on later nights.
10. **flag_stale_fine_tune** emits the `tailor_fine_tune_stale` asset event (which finetune
   follows), through the `tailor_fine_tune_stale_flag` alias, when fine_tuned's staleness gap
   is significant tonight; otherwise it emits nothing and logs why.

**Params**
- `approaches` — which approaches to answer with.
- `judges` — judge ids for this run (empty: the configured panel).
- `sample_limit` — evaluate only the first N test cases (0: all).
- `rescore_only` — score the answers stored for this date again instead of answering.
- `review_answers` — how many disputed answers to ask a person to grade (empty: the setting;
  its default is 5 on aws, 0 locally).
"""

from __future__ import annotations

import os
from typing import Any

from airflow.sdk import (
    AssetOrTimeSchedule,
    AsyncCallback,
    DeadlineAlert,
    DeadlineReference,
    Param,
    dag,
    task,
)

from tailor.evaluation.approaches import Approach
from tailor.evaluation.deadline import DEFAULT_DEADLINE, deadline_interval
from tailor_airflow.assets import FINE_TUNE_STALE, FINE_TUNE_STALE_FLAG, KNOWLEDGE_BASE, MODEL
from tailor_airflow.batch_jobs import BatchJobsOperator
from tailor_airflow.dag_defaults import DEFAULT_ARGS, EVAL_TASK_SLOTS, cron, tailor_timezone
from tailor_airflow.notifiers import deadline_missed, regression_notifiers
from tailor_airflow.review import ReviewAnswersOperator
from tailor_airflow.scaling import RestoreEndpointOperator, WakeEndpointOperator

APPROACHES = [approach.value for approach in Approach]
EVAL_CRON = os.environ.get("TAILOR_EVAL_CRON", "0 1 * * *")
NIGHTLY = cron(EVAL_CRON)
# a night not finished by TAILOR_EVAL_DEADLINE (a clock time; "never": no deadline) is loud
EVAL_DEADLINE = os.environ.get("TAILOR_EVAL_DEADLINE", DEFAULT_DEADLINE)
DEADLINE = (
    None
    if EVAL_DEADLINE == "never"
    else DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,  # a backfilled night gets the same hours
        interval=deadline_interval(EVAL_CRON, EVAL_DEADLINE, tailor_timezone()),
        callback=AsyncCallback(deadline_missed),
        name="nightly_eval finished",
    )
)
# TAILOR_EVAL_FOLLOW_ASSETS=1: also evaluate after every Knowledge Base sync or promotion
SCHEDULE = (
    AssetOrTimeSchedule(timetable=NIGHTLY, assets=(KNOWLEDGE_BASE | MODEL))
    if os.environ.get("TAILOR_EVAL_FOLLOW_ASSETS", "").lower() in ("1", "true", "yes")
    else NIGHTLY
)


@dag(
    dag_id="nightly_eval",
    schedule=SCHEDULE,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    deadline=DEADLINE,
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
        "judges": Param(
            [],
            type="array",
            items={"type": "string", "minLength": 1},
            uniqueItems=True,
            title="Judges",
            description="Judge ids for this run; empty: the configured panel (setting "
            "'judges'; local: keypoints, gemma3 or smollm2; aws: Bedrock model ids or "
            "keypoints).",
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
        "review_answers": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            maximum=50,
            title="Answers to review",
            description="Disputed answers a person is asked to grade after the summary "
            "(empty: the setting review_answers; 5 on aws, 0 locally).",
        ),
    },
)
def nightly_eval():
    @task
    def prepare_cases(params: dict[str, Any], **context) -> list[dict[str, str]]:
        from tailor_airflow.evaluation import prepare_cases as prepare
        from tailor_airflow.night import evaluated_date

        return prepare(params["sample_limit"], evaluated_date(context))

    @task
    def approaches(params: dict[str, Any]) -> list[str]:
        return list(params["approaches"])

    @task(max_active_tis_per_dagrun=EVAL_TASK_SLOTS)
    def answer(
        approach: str, cases: list[dict], judges: list[str], params: dict[str, Any], **context
    ) -> str | None:
        from tailor_airflow.evaluation import answer_night
        from tailor_airflow.night import attempt_key, evaluated_date

        date, attempt = evaluated_date(context), attempt_key(context)
        return answer_night(
            approach,
            cases,
            list(judges),
            date,
            params["rescore_only"],
            attempt,
            context["ti"].try_number,
        )

    @task
    def panel(params: dict[str, Any], **context) -> list[str]:
        from tailor_airflow.evaluation import choose_judges
        from tailor_airflow.night import evaluated_date

        return choose_judges(list(params["judges"]), evaluated_date(context))

    @task(max_active_tis_per_dagrun=EVAL_TASK_SLOTS)
    def judge_controls(judge: str, cases: list[dict], **context) -> str:
        from tailor_airflow.evaluation import judge_controls as judge_night_controls
        from tailor_airflow.night import evaluated_date

        return judge_night_controls(judge, cases, evaluated_date(context))

    # skipped, not failed: judge_controls with no judge tonight, batch_jobs on an online night
    @task(trigger_rule="none_failed")
    def summarize(evaluated: list[str], judges: list[str], run_id: str, **context) -> list[str]:
        from tailor_airflow.evaluation import summarize_night
        from tailor_airflow.night import evaluated_date

        summarize_night(list(evaluated), list(judges), evaluated_date(context), run_id)
        return list(evaluated)

    @task(on_failure_callback=regression_notifiers())  # fails without retries: AirflowFailException
    def check_regression(approaches: list[str], **context) -> None:
        from tailor_airflow.evaluation import check_regression as check
        from tailor_airflow.night import evaluated_date

        check(approaches, evaluated_date(context))

    @task(outlets=[FINE_TUNE_STALE_FLAG])
    def flag_stale_fine_tune(summarized: list[str], **context) -> None:
        from tailor_airflow.evaluation import flag_stale_fine_tune as flag
        from tailor_airflow.night import evaluated_date

        if gap := flag(evaluated_date(context)):
            context["outlet_events"][FINE_TUNE_STALE_FLAG].add(FINE_TUNE_STALE, extra=gap)

    cases, judges, chosen = prepare_cases(), panel(), approaches()
    wake = WakeEndpointOperator(task_id="wake_endpoint")  # beside the cases: wake-ups take minutes
    restore = RestoreEndpointOperator(task_id="restore_endpoint")
    answered = answer.partial(cases=cases, judges=judges).expand(approach=chosen)
    wake >> answered >> restore.as_teardown(setups=wake)
    # only the approaches a batch night left to Bedrock batch jobs: none on an online night
    batched = BatchJobsOperator.partial(
        task_id="batch_jobs", judges=judges, max_active_tis_per_dagrun=EVAL_TASK_SLOTS
    ).expand(approach=answered)
    calibrated = judge_controls.partial(cases=cases).expand(judge=judges)
    summarized = summarize(chosen, calibrated)
    batched >> summarized
    check_regression(summarized)
    flag_stale_fine_tune(summarized)
    ReviewAnswersOperator(task_id="review_answers", approaches=summarized)


nightly_eval()
