"""A fine-tune run's version, Params and context, as the operators receive them."""

from __future__ import annotations

from types import SimpleNamespace

from tailor.finetune.sweep import plan_candidates
from tailor_airflow.assets import MODEL

VERSION = "ft-202611210300-abcdef12"

PARAMS = {
    "method": "instruction_tuning",
    "epochs": 1.0,
    "learning_rate": 0.0002,
    "max_steps": 0,
    "base_model_id": None,
    "instance_type": None,
    "skip_gate": False,
    "sweep": [],
}
(CANDIDATE,) = plan_candidates(VERSION, PARAMS, [])
SWEEP = plan_candidates(VERSION, PARAMS, [{"learning_rate": 0.0001}, {"learning_rate": 0.0005}])


def context() -> dict:
    return {
        "params": PARAMS,
        "run_id": "scheduled__2026-11-01T03:00:00+00:00",
        "dag": SimpleNamespace(dag_id="finetune"),
        "outlet_events": {MODEL: SimpleNamespace(extra=None)},
    }
