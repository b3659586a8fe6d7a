"""
### endpoint_schedule — the model endpoint at zero off-hours

**Schedule:** up at 07:00 and down at 20:00 on working days, down over weekends, in
`TAILOR_TIMEZONE` (override with `TAILOR_ENDPOINT_UP_CRON` / `TAILOR_ENDPOINT_DOWN_CRON`).
No catchup: only the latest state matters.

1. **scale_endpoint** sets the serving copies to the scheduled state at the run's time
   (or to the `target_copies` Param), then waits deferrably until the endpoint reports it.
   A scale-down while `nightly_eval` or `finetune` holds a lease is skipped, naming them;
   their teardown restores the scheduled state when they finish. Every change is recorded.
   - `local`: starts or stops the `transformers serve` process for the current model.
   - `aws`: the inference component's copy count, or for a legacy endpoint, delete at
     zero (keeping its EndpointConfig and Model) and recreate in the morning.
2. **enable_scale_from_zero** (aws, when `autoscale_from_zero` is on) keeps AWS's
   scale-out-from-zero recipe registered for the served component: an invocation at zero
   copies raises `NoCapacityInvocationFailures`, whose alarm adds one copy. Skipped otherwise.
3. **report_cost** turns the recorded scaling events of the last 30 days into endpoint
   hours and a monthly cost, next to the always-on figure, and stores the report.

**Params**
- `target_copies` — serve this many copies now instead of the scheduled state
  (0 = scale to zero). Empty: follow the schedule.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import MultipleCronTriggerTimetable, Param, dag, task

from tailor_airflow.autoscaling import EnableScaleFromZeroOperator
from tailor_airflow.dag_defaults import DEFAULT_ARGS, endpoint_schedule
from tailor_airflow.scaling import ScaleEndpointOperator

SCHEDULE = endpoint_schedule()


@dag(
    dag_id="endpoint_schedule",
    schedule=MultipleCronTriggerTimetable(*SCHEDULE.crons, timezone=SCHEDULE.timezone),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["tailor", "endpoint", "cost"],
    doc_md=__doc__,
    params={
        "target_copies": Param(
            None,
            type=["null", "integer"],
            minimum=0,
            maximum=16,
            title="Target copies",
            description="Serving copies to set now (0 scales to zero). Leave empty to "
            "follow the schedule.",
        ),
    },
)
def endpoint_schedule():
    scaled = ScaleEndpointOperator(
        task_id="scale_endpoint",
        target_copies="{{ params.target_copies }}",
        reason="endpoint_schedule {{ 'manual' if params.target_copies is not none "
        "else 'schedule' }} at {{ dag_run.run_after }}",
    )

    @task(trigger_rule="none_failed")
    def report_cost() -> dict[str, Any]:
        from tailor_airflow.endpoint_cost import report_endpoint_cost

        return report_endpoint_cost()

    scaled >> report_cost()
    EnableScaleFromZeroOperator(task_id="enable_scale_from_zero")


endpoint_schedule()
