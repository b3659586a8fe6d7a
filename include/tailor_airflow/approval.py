"""finetune's human-in-the-loop step: a person approves or rejects the gate's candidate.

Airflow's `ApprovalOperator` parks the task until someone answers in the UI (or the REST API);
"Reject" skips deploy, and so does a timeout (its default answer is Reject). With
`require_approval` off (the default) the step approves on its own and says so. Either way the
decision, who made it and when is kept in ``models/<version>/approval.json`` for the lineage.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator
from airflow.sdk import Context

from tailor.evaluation.staleness import model_drift
from tailor.finetune.approval import approval_body
from tailor.finetune.registry import read_current
from tailor.finetune.retrain import describe_reason
from tailor.settings import Settings
from tailor.storage import write_atomic
from tailor_airflow.config import kb_state_root, load_settings, models_root

APPROVAL = "approval.json"


class PromotionApprovalOperator(ApprovalOperator):
    """Wait for a person's approval of the gate's candidate, when approval is required.

    :param training: the ``build_training_set`` output (templated): version and catalog.
    :param reason: the ``retrain_reason`` output (templated): why this candidate was trained.
    """

    template_fields = (*ApprovalOperator.template_fields, "training", "reason")

    def __init__(self, *, training: dict[str, Any], reason: dict[str, Any], **kwargs: Any):
        super().__init__(subject="Promote the fine-tuned candidate?", defaults="Reject", **kwargs)
        self.training = training
        self.reason = reason

    def execute(self, context: Context) -> Any:
        settings = load_settings()
        requested = context["params"].get("require_approval")
        if not (settings.require_approval if requested is None else requested):
            self.log.info("Approval not required (require_approval off): the gate decides")
            self._record(settings, {"decision": "Approve", "by": None, "automatic": True})
            return None
        version = self.training["version"]
        models = models_root(settings)
        gate = json.loads((models / version / "gate.json").read_text())
        current = read_current(models)
        drifted = current and model_drift(
            models, kb_state_root(settings), current["version"], self.training.get("catalog")
        )
        self.subject = f"Promote {version}?"
        self.body = approval_body(gate, drifted, describe_reason(self.reason))
        self.response_timeout = timedelta(hours=settings.approval_timeout_hours)
        self.log.info(
            "Waiting up to %s h for approval of %s:\n%s",
            settings.approval_timeout_hours,
            version,
            self.body,
        )
        return super().execute(context)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> Any:
        """Record the answer first: on Reject the parent skips deploy by raising."""
        if "error" not in event:
            user = event["responded_by_user"]
            by = (user.get("name") or user.get("id")) if isinstance(user, dict) else user
            decision = {
                "decision": event["chosen_options"][0],
                "by": by,
                "at": str(event["responded_at"]),
                "timed_out": bool(event.get("timedout")),
                "automatic": False,
            }
            self._record(load_settings(), decision)
            self.log.info("%s: %s", self.training["version"], decision)
        return super().execute_complete(context, event)

    def _record(self, settings: Settings, decision: dict[str, Any]) -> None:
        path = models_root(settings) / self.training["version"] / APPROVAL
        stamped = {**decision, "recorded_at": datetime.now(UTC).isoformat()}
        write_atomic(path, json.dumps(stamped, indent=2).encode())
