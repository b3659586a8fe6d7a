"""
### finetune — retrain, gate, and deploy the fine-tuned model

**Schedule:** 03:00 on the 1st of every other month (`TAILOR_TIMEZONE`), no catchup; on
demand from the trigger form; and after every `tailor_knowledge_base` sync or
`tailor_fine_tune_stale` night, when the change is worth it.

0. **retrain_reason** — a scheduled or manual run trains. An asset-triggered run trains only
   if the catalog drifted from the deployed model's training snapshot by `retrain_drift`
   (share of products added or changed) or its fine_tuned answers were significantly stale
   `retrain_on_stale_nights` nights in a row; otherwise the run stops here and logs the drift.
   The reason, with its figures, goes into the lineage.
1. **pin_inputs** pins the catalog as `kb_sync` last synced it, and the model now deployed.
2. **build_training_set** — `instruction_tuning`: question/answer pairs in the reference's
   template ("Answer the customer's question: {question}" → "{answer}") made from each
   product's sections; `domain_adaptation`: the catalog text itself. Fails before any
   training if a test question is (nearly) a training question, or the set is empty or
   oversized. A slice of pairs is held out for the gate.
3. **plan_sweep** — one candidate per hyperparameter set of the `sweep` Param (the run's
   epochs, learning rate and max steps fill in what a set leaves out; no sweep: one
   candidate). On aws an endpoint without room to stage them all fails the run here.
4. **train** (mapped, one task per candidate) — `local`: LoRA (peft) on
   SmolLM2-135M-Instruct, merged into a new model folder; the log shows step, loss and
   seconds. `aws`: a SageMaker JumpStart training job, then the candidate staged as its own
   inference component; or, with `finetune_service: bedrock`, a Bedrock model customization
   job, then its on-demand deployment (Nova) or provisioned throughput (Llama).
5. **gate** answers the held-out pairs and test questions with every candidate and the
   deployed model; the candidate with the best mean BERTScore F1 is judged by the gate's
   rule: worse than the deployed model by more than `gate_margin`, it is **not promoted**
   (deploy is skipped, the run still succeeds and says so).
6. **approve_promotion** — with `require_approval` (setting or Param), Airflow's
   human-in-the-loop `ApprovalOperator` shows the gate's evidence (candidate vs deployed with
   the paired interval, answers side by side, drift since the deployed model) and waits for
   Approve or Reject in the UI; Reject, or no answer within `approval_timeout_hours`, skips
   deploy. Without it the step approves on its own.
7. **deploy** makes the winning candidate current and restarts the endpoint on it if it is up (a
   scaled-to-zero endpoint stays down); emits the `tailor_model` asset event. On aws the
   candidate was staged as its own inference component during **train**; deploy points
   traffic at it and deletes the previous component.
8. **clean_up_candidates** deletes every candidate of the run that is not served — a sweep's
   losers, a candidate the gate or a person rejected, the trained ones of a failed run (aws:
   its inference component and model; local: its model folder). It runs whatever happened
   upstream, so a staged candidate never stays billed.

**wake_endpoint / restore_endpoint** hold a lease on the endpoint for the gate's comparison
(setup/teardown), so `endpoint_schedule` cannot scale it down mid-comparison; it is released
before the approval wait (a person's hours do not keep the endpoint up) and before deploy.
9. **record_lineage** stores version, why it was trained, the approval, base model, method,
   every candidate's hyperparameters, training metrics and gate score, which won and why,
   the catalog version, gate result, what was cleaned up and the deploy time.

**Params** — see each field's description in the trigger form.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import AssetOrTimeSchedule, Param, dag, task

from tailor.finetune.sweep import (
    DEFAULT_LEARNING_RATE,
    HYPERPARAMETERS,
    MAX_CANDIDATES,
    sweep_schema,
)
from tailor_airflow.approval import PromotionApprovalOperator
from tailor_airflow.assets import FINE_TUNE_STALE, KNOWLEDGE_BASE
from tailor_airflow.dag_defaults import DEFAULT_ARGS, cron
from tailor_airflow.promotion import DeployModelOperator
from tailor_airflow.scaling import RestoreEndpointOperator, WakeEndpointOperator
from tailor_airflow.training import TrainModelOperator


@dag(
    dag_id="finetune",
    # the calendar, and every Knowledge Base sync or stale night: retrain_reason decides
    schedule=AssetOrTimeSchedule(
        timetable=cron("0 3 1 */2 *"), assets=KNOWLEDGE_BASE | FINE_TUNE_STALE
    ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["tailor", "fine-tuning", "model"],
    doc_md=__doc__,
    params={
        "method": Param(
            "instruction_tuning",
            enum=["instruction_tuning", "domain_adaptation"],
            title="Method",
            description="instruction_tuning: Q&A pairs in the reference's template; "
            "domain_adaptation: the raw catalog text, as the reference trains on.",
        ),
        "epochs": Param(
            1.0,
            **HYPERPARAMETERS["epochs"],
            title="Epochs",
            description="Passes over the training set.",
        ),
        "learning_rate": Param(
            None,
            **HYPERPARAMETERS["learning_rate"],
            title="Learning rate",
            description=f"Optimizer learning rate (empty: {DEFAULT_LEARNING_RATE} for LoRA and "
            "JumpStart, the base model's default for a Bedrock customization).",
        ),
        "max_steps": Param(
            0,
            **HYPERPARAMETERS["max_steps"],
            title="Max steps",
            description="Stop after this many steps (0: no limit). For quick runs.",
        ),
        "sweep": Param(
            [],
            **sweep_schema(),
            title="Hyperparameter sweep",
            description=f"Up to {MAX_CANDIDATES} hyperparameter sets, each trained as its own "
            'candidate, e.g. [{"learning_rate": 0.0001}, {"learning_rate": 0.0005}]; the values '
            "above fill in what a set leaves out. The best at the gate is the one promoted. "
            "Empty: one candidate from the values above.",
        ),
        "base_model_id": Param(
            None,
            type=["null", "string"],
            title="Base model id",
            description="aws: JumpStart model id (empty: the setting "
            "base_model_id). local always trains SmolLM2-135M-Instruct.",
        ),
        "instance_type": Param(
            None,
            type=["null", "string"],
            pattern=r"^ml\.[a-z0-9]+\.[a-z0-9]+$",
            title="Training instance type",
            description="aws: SageMaker training instance (empty: the "
            "setting training_instance_type).",
        ),
        "require_approval": Param(
            None,
            type=["null", "boolean"],
            title="Require approval",
            description="Wait for a person to approve the promotion in the Airflow UI after "
            "the gate (empty: the setting require_approval).",
        ),
        "skip_gate": Param(
            False,
            type="boolean",
            title="Skip the gate",
            description="Promote without comparing to the deployed model.",
        ),
    },
)
def finetune():
    @task.short_circuit
    def retrain_reason(**context) -> dict[str, Any] | None:
        from tailor_airflow.retraining import retrain_reason as reason

        return reason(context)

    @task
    def pin_inputs() -> dict[str, Any]:
        from tailor_airflow.training_set import pin_inputs as pin

        return pin()

    @task
    def build_training_set(pinned: dict[str, Any], params: dict[str, Any], run_id: str):
        from tailor_airflow.training_set import prepare_training_set

        return prepare_training_set(params["method"], pinned, run_id)

    @task
    def plan_sweep(training: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
        from tailor_airflow.training_set import plan_sweep as plan

        return plan(training, params)

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def gate(training: dict[str, Any], trained, params: dict[str, Any]) -> bool:
        from tailor_airflow.promotion import gate_candidate

        return gate_candidate(training, trained, params["skip_gate"])["promote"]

    @task(trigger_rule="all_done")  # whatever happened upstream: nothing unserved stays up
    def clean_up_candidates(ti=None) -> list[str]:
        from tailor_airflow.promotion import clean_up_candidates as clean

        # pulled, not an argument: a run that failed before planning has no candidates
        return clean(ti.xcom_pull(task_ids="plan_sweep") or [])

    @task(trigger_rule="none_failed")
    def record_lineage(reason, pinned, training, trained, cleaned, run_id: str):
        from tailor_airflow.promotion import record_lineage as record

        return record(pinned, training, trained, cleaned, run_id, reason)

    reason = retrain_reason()
    pinned = pin_inputs()
    reason >> pinned
    training = build_training_set(pinned)
    candidates = plan_sweep(training)
    trained = TrainModelOperator.partial(task_id="train", training=training).expand(
        candidate=candidates
    )
    wake = WakeEndpointOperator(task_id="wake_endpoint")
    restore = RestoreEndpointOperator(task_id="restore_endpoint")
    approve = PromotionApprovalOperator(
        task_id="approve_promotion", training=training, reason=reason
    )
    deploy = DeployModelOperator(task_id="deploy", training=training)
    cleaned = clean_up_candidates()
    candidates >> cleaned
    record_lineage(reason, pinned, training, trained.output, cleaned)
    gated = gate(training, trained.output)
    trained >> wake >> gated >> approve >> deploy >> cleaned
    # the endpoint is held for the comparison only: not while a person decides, and the
    # deploy's restart comes after the restore, never racing it
    gated >> restore.as_teardown(setups=wake) >> deploy


finetune()
