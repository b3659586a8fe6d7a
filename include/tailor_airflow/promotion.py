"""finetune's promotion: the gate, the deploy step and the lineage record.

``<data_root>/models/current.json`` says which version is served; only deploy moves it.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Context

from tailor.finetune.dataset import PROMPT
from tailor.finetune.gate import decide
from tailor.finetune.registry import promote, read_current, write_lineage
from tailor.jsonl import read_jsonl
from tailor.settings import Backend, Settings
from tailor_airflow.approval import APPROVAL
from tailor_airflow.assets import MODEL
from tailor_airflow.config import load_settings, models_root
from tailor_airflow.endpoint import served_component

log = logging.getLogger(__name__)


def _answerers(settings: Settings, trained: dict[str, Any], current: dict[str, Any] | None):
    """Answer functions for candidate and deployed model: in-process locally, the
    candidate's and the served inference component on aws (same endpoint, same settings)."""
    if settings.backend is Backend.LOCAL:
        from tailor.local.generate import LocalGenerator

        def local(path: str):
            generator = LocalGenerator(Path(path))
            return lambda prompt: generator.generate(prompt).text

        return local(trained["model_path"]), current and local(current["path"])
    from tailor_airflow.sagemaker_model import SageMakerModels

    models = SageMakerModels(settings)
    served = served_component(settings, current)

    def remote(component: str):
        return lambda prompt: models.answer(component, prompt)

    return remote(trained["inference_component"]), served and remote(served)


def gate_candidate(training: dict[str, Any], trained: dict[str, Any], skip: bool) -> dict[str, Any]:
    """Answer the gate's questions with candidate and deployed model; score; decide; keep.

    A rejected aws candidate's inference component is deleted here, so nothing leaks.
    """
    from tailor.scoring import BertScorer

    settings = load_settings()
    folder = models_root(settings) / training["version"]
    questions = read_jsonl(folder / "gate_questions.jsonl")
    references = [q["answer"] for q in questions]
    prompts = [PROMPT.format(question=q["question"]) for q in questions]
    scorer = BertScorer.for_settings(settings)
    current = read_current(models_root(settings))
    candidate_answer, deployed_answer = _answerers(settings, trained, current)
    candidate = [candidate_answer(prompt) for prompt in prompts]
    candidate_f1 = scorer.f1(candidate, references)
    deployed, deployed_f1 = None, None
    if deployed_answer and not skip:
        deployed = [deployed_answer(prompt) for prompt in prompts]
        deployed_f1 = scorer.f1(deployed, references)
    result = decide(candidate_f1, deployed_f1, settings.gate_margin, skip=skip)
    record = {
        **result.to_dict(),
        "metric": f"BERTScore F1 ({scorer.model_type.rsplit('/', 1)[-1]})",
        "deployed_version": current["version"] if current else None,
        "questions": [
            {**q, "candidate": c, "candidate_f1": cf, "deployed": d, "deployed_f1": df}  # fmt: skip
            for q, c, cf, d, df in zip(
                questions,
                candidate,
                candidate_f1,
                deployed or [None] * len(questions),
                deployed_f1 or [None] * len(questions),
                strict=True,
            )
        ],
    }
    (folder / "gate.json").write_text(json.dumps(record, indent=2))
    if not result.promote and settings.backend is Backend.AWS:
        from tailor_airflow.sagemaker_model import SageMakerModels

        SageMakerModels(settings).delete_component(trained["inference_component"])
    log.info(result.reason)
    return record


class DeployModelOperator(BaseOperator):
    """Make the promoted candidate the served model; emits the `tailor_model` asset event.

    :param training: the ``build_training_set`` output (templated): version and data URIs.
    :param trained: the ``train`` output (templated): the local model path, or on aws the
        candidate's inference component and model artifacts.
    """

    template_fields = ("training", "trained")
    ui_color = "#d5f5e3"

    def __init__(self, *, training: dict[str, Any], trained: dict[str, Any], **kwargs: Any):
        super().__init__(outlets=[MODEL], **kwargs)
        self.training = training
        self.trained = trained

    def execute(self, context: Context) -> dict[str, Any]:
        from tailor_airflow.endpoint import LocalEndpoint

        settings = load_settings()
        version = self.training["version"]
        gate = json.loads((models_root(settings) / version / "gate.json").read_text())
        previous = read_current(models_root(settings))
        record = {
            "version": version,
            "path": self.trained.get("model_path"),
            "inference_component": self.trained.get("inference_component"),
            "promoted_at": datetime.now(UTC).isoformat(),
            "gate_score": gate["candidate_score"],
        }
        promote(models_root(settings), record)
        context["outlet_events"][MODEL].extra = {
            "version": version,
            "method": self.training["method"],
            "gate_score": gate["candidate_score"],
        }
        if settings.backend is Backend.AWS:
            return self._retire_previous(settings, previous, record)
        endpoint = LocalEndpoint(settings)
        if endpoint.server.state() is None:
            self.log.info("Endpoint is at zero: %s is current and is served when it wakes", version)
            return record
        endpoint.request(1)  # restarts the server on the new model folder
        self.log.info("Restarting the local endpoint on %s", version)
        self.defer(
            trigger=endpoint.trigger(1, settings.endpoint_poll_seconds, 300),
            method_name="execute_complete",
        )

    def _retire_previous(self, settings: Settings, previous, record) -> dict[str, Any]:
        """Traffic follows the registry's component name; the old component goes away."""
        from tailor_airflow.sagemaker_model import SageMakerModels

        old = served_component(settings, previous)
        if old and old != record["inference_component"]:
            SageMakerModels(settings).delete_component(old)
            self.log.info("Deleted the previous inference component %s", old)
        return record

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        record = read_current(models_root(load_settings()))
        if event["status"] != "converged":
            raise RuntimeError(f"endpoint did not come back on {record['version']}: {event}")
        self.log.info("Endpoint serves %s: %s", record["version"], event["state"])
        return record


def record_lineage(
    pinned: dict[str, Any], training: dict[str, Any], trained: dict[str, Any],
    params: dict[str, Any], run_id: str, reason: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Everything needed to say where the candidate came from, promoted or not."""
    settings = load_settings()
    root = models_root(settings)
    version = training["version"]
    gate_file, approval_file = root / version / "gate.json", root / version / APPROVAL
    gate = json.loads(gate_file.read_text()) if gate_file.exists() else None
    approval = json.loads(approval_file.read_text()) if approval_file.exists() else None
    current = read_current(root)
    promoted = bool(current and current["version"] == version)
    lineage = {
        "version": version,
        "run_id": run_id,
        "reason": reason,
        "recorded_at": datetime.now(UTC).isoformat(),
        "base_model": trained.get("base_model"),
        "method": training["method"],
        "hyperparameters": {
            "epochs": params["epochs"],
            "learning_rate": params["learning_rate"],
            "max_steps": params["max_steps"],
            "lora_rank": trained.get("lora_rank"),
        },  # fmt: skip
        "training_metrics": {k: v for k, v in trained.items() if k not in ("model_path",)},
        "training_set": training,
        "catalog": pinned,
        "gate": gate and {k: v for k, v in gate.items() if k != "questions"},
        "approval": approval,
        "promoted": promoted,
        "deployed_at": current["promoted_at"] if promoted else None,
        "model_path": trained.get("model_path"),
    }
    write_lineage(root, version, lineage)
    verdict = "PROMOTED and deployed" if promoted else "NOT PROMOTED"
    if approval and approval["decision"] != "Approve":
        verdict += (" (rejected: approval timed out)" if approval.get("timed_out")
                    else f" (rejected by {approval['by']})")  # fmt: skip
    log.info(f"{version}: {verdict}. {gate['reason'] if gate else ''} Lineage: {root / version}")
    return lineage
