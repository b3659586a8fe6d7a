"""Why this finetune run trains: the schedule, a person, or a change worth retraining for."""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import Context

from tailor.evaluation.night_store import HISTORY
from tailor.evaluation.results import read_history, records
from tailor.finetune.retrain import decide_retrain
from tailor_airflow.config import data_layout, load_settings

log = logging.getLogger(__name__)


def retrain_reason(context: Context) -> dict[str, Any] | None:
    """The reason to train (recorded in the lineage), or None to stop the run here.

    A scheduled or hand-started run always trains; a run started by an asset event (a
    Knowledge Base sync, a stale night) trains only if `decide_retrain` says so.
    """
    run = context["dag_run"]
    run_type = getattr(run.run_type, "value", run.run_type)  # the SDK's enum: str() is its name
    if run_type == "scheduled":
        return {"trigger": "schedule"}
    if run_type != "asset_triggered":
        return {"trigger": "manual", "by": run.triggering_user_name}
    triggering = context["triggering_asset_events"]
    events = [f"{asset}: {event.extra}" for asset, found in triggering.items() for event in found]
    log.info("Started by %s", "; ".join(events) or "an asset event")
    settings = load_settings()
    layout = data_layout(settings)
    history = records(read_history(layout.evaluations / HISTORY))
    decision = decide_retrain(
        layout.models,
        layout.kb_sync,
        history,
        settings.retrain_drift,
        settings.retrain_on_stale_nights,
    )
    log.info(decision.message)
    return {**decision.reason, "message": decision.message} if decision.retrain else None
