"""finetune's promotion: the gate, the deploy step and the lineage record.

``<data_root>/models/current.json`` says which version is served; only deploy moves it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from statistics import fmean
from typing import Any

from airflow.sdk import BaseOperator, Context

from tailor.evaluation.comparisons import paired_difference
from tailor.finetune.dataset import PROMPT
from tailor.finetune.gate import decide
from tailor.finetune.registry import promote, read_current, write_lineage
from tailor.finetune.sweep import pick_winner
from tailor.jsonl import read_jsonl
from tailor.settings import Backend, Settings
from tailor_airflow.approval import APPROVAL
from tailor_airflow.assets import MODEL
from tailor_airflow.config import load_settings, models_root
from tailor_airflow.tuned import serving_models, tuned_models

log = logging.getLogger(__name__)
# what current.json keeps of a Bedrock custom model: how, by what name and ARN it is served
SERVING_KEYS = ("serving", "serving_name", "serving_arn", "custom_model_arn")


def _paired(candidate: list[float], winner: list[float]) -> dict[str, Any]:
    """A candidate's per-question difference from the winner, with its 95% interval."""
    mean, low, high, n = paired_difference(candidate, winner)
    return {"mean": mean, "low": low, "high": high, "n": n}


def gate_candidate(
    training: dict[str, Any], trained: Iterable[dict[str, Any]], skip: bool
) -> dict[str, Any]:
    """Answer the gate's questions with every candidate and the deployed model; the best
    candidate (highest mean F1) is the one the gate's rule judges; keep it all in gate.json.

    Nothing is deleted here: ``clean_up_candidates`` removes whatever ends up not served.
    """
    from tailor.scoring import BertScorer

    settings = load_settings()
    tuned = tuned_models(settings)
    folder = models_root(settings) / training["version"]
    questions = read_jsonl(folder / "gate_questions.jsonl")
    references = [q["answer"] for q in questions]
    prompts = [PROMPT.format(question=q["question"]) for q in questions]
    scorer = BertScorer.for_settings(settings)
    current = read_current(models_root(settings))
    candidates = {record["candidate"]: record for record in trained}
    answers, scores = {}, {}
    for name, record in candidates.items():
        answer = tuned.answerer(record)
        answers[name] = [answer(prompt) for prompt in prompts]
        scores[name] = scorer.f1(answers[name], references)
    winner, why = pick_winner(scores)
    deployed, deployed_f1 = None, None
    serving = serving_models(settings, current)
    served = serving.served(current)
    if served and not skip:
        deployed_answer = serving.answerer(served)
        deployed = [deployed_answer(prompt) for prompt in prompts]
        deployed_f1 = scorer.f1(deployed, references)
    result = decide(scores[winner], deployed_f1, settings.gate_margin, skip=skip)
    record = {
        **result.to_dict(),
        "metric": f"BERTScore F1 ({scorer.model_type.rsplit('/', 1)[-1]})",
        "deployed_version": current["version"] if current else None,
        "winner": candidates[winner],
        "winner_reason": why,
        "candidates": [
            {
                "name": name,
                "hyperparameters": candidates[name]["hyperparameters"],
                "score": round(fmean(values), 4),
                "vs_winner": None if name == winner else _paired(values, scores[winner]),
            }
            for name, values in scores.items()
        ],
        "questions": [
            {**q, "candidate": c, "candidate_f1": cf, "deployed": d, "deployed_f1": df}
            for q, c, cf, d, df in zip(
                questions,
                answers[winner],
                scores[winner],
                deployed or [None] * len(questions),
                deployed_f1 or [None] * len(questions),
                strict=True,
            )
        ],
    }
    (folder / "gate.json").write_text(json.dumps(record, indent=2))
    log.info("%s: %s. %s", winner, why, result.reason)
    return record


def clean_up_candidates(candidates: list[dict[str, Any]]) -> list[str]:
    """Delete what serves this run's candidates unless it is now the served model: a sweep's
    losers, a candidate the gate or a person rejected, the trained ones of a failed run.

    aws: the inference component and its model, or the Bedrock deployment or provisioned
    throughput (billed while they exist; training artifacts and custom models stay for audit,
    a custom model unless ``delete_rejected_custom_models``); local: the model folder (its
    metrics stay). Then, after any promotion, Bedrock custom models beyond
    ``keep_custom_models`` go (`retire_custom_models`)."""
    settings = load_settings()
    tuned = tuned_models(settings)
    current = read_current(models_root(settings)) or {}
    served = (current.get("version"), current.get("candidate"))
    unserved = [c for c in candidates if (c["version"], c["name"]) != served]
    cleaned = [c["name"] for c in unserved if tuned.remove_candidate(c)]
    log.info("Cleaned up %s", ", ".join(cleaned) if cleaned else "nothing: no unserved candidate")
    tuned.after_clean_up(current)
    return cleaned


class DeployModelOperator(BaseOperator):
    """Make the promoted candidate the served model; emits the `tailor_model` asset event.

    :param training: the ``build_training_set`` output (templated): version and data URIs.
        The candidate is the gate's winner, from the version's ``gate.json``: its local model
        path, or on aws its inference component.
    """

    template_fields = ("training",)
    ui_color = "#d5f5e3"

    def __init__(self, *, training: dict[str, Any], **kwargs: Any):
        super().__init__(outlets=[MODEL], **kwargs)
        self.training = training

    def execute(self, context: Context) -> dict[str, Any]:
        from tailor_airflow.endpoint import LocalEndpoint

        settings = load_settings()
        version = self.training["version"]
        gate = json.loads((models_root(settings) / version / "gate.json").read_text())
        previous = read_current(models_root(settings))
        winner = gate["winner"]
        record = {
            "version": version,
            "candidate": winner["candidate"],
            "path": winner.get("model_path"),
            "inference_component": winner.get("inference_component"),
            **{key: winner[key] for key in SERVING_KEYS if key in winner},
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
        """Traffic follows the registry's record; what served the previous model goes away
        (a SageMaker inference component, or a Bedrock deployment or throughput; the previous
        custom model itself is kept), by the service that served it."""
        serving = serving_models(settings, previous)
        if stopped := serving.retire(serving.served(previous) or {}, record):
            self.log.info("Stopped serving %s", stopped)
        return record

    def execute_complete(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        record = read_current(models_root(load_settings()))
        if event["status"] != "converged":
            raise RuntimeError(f"endpoint did not come back on {record['version']}: {event}")
        self.log.info("Endpoint serves %s: %s", record["version"], event["state"])
        return record


def _metrics(trained: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in trained.items()
        if k not in ("model_path", "candidate", "hyperparameters", "attempts")
    }


def _scored(gated: dict[str, Any] | None) -> dict[str, Any]:
    return {"gate_score": gated["score"], "vs_winner": gated["vs_winner"]} if gated else {}


def record_lineage(
    pinned: dict[str, Any],
    training: dict[str, Any],
    trained: Iterable[dict[str, Any]],
    cleaned: list[str],
    run_id: str,
    reason: dict[str, Any],
) -> dict[str, Any]:
    """Everything needed to say where the candidates came from, which won and why, promoted
    or not."""
    settings = load_settings()
    root = models_root(settings)
    version = training["version"]
    gate_file, approval_file = root / version / "gate.json", root / version / APPROVAL
    gate = json.loads(gate_file.read_text()) if gate_file.exists() else None
    approval = json.loads(approval_file.read_text()) if approval_file.exists() else None
    current = read_current(root)
    promoted = bool(current and current["version"] == version)
    trained = {record["candidate"]: record for record in trained}
    winner = trained[gate["winner"]["candidate"]] if gate else next(iter(trained.values()))
    scored = {c["name"]: c for c in gate["candidates"]} if gate else {}
    lineage = {
        "version": version,
        "run_id": run_id,
        "reason": reason,
        "recorded_at": datetime.now(UTC).isoformat(),
        "base_model": winner.get("base_model"),
        "method": training["method"],
        "candidate": winner["candidate"],
        "hyperparameters": {**winner["hyperparameters"], "lora_rank": winner.get("lora_rank")},
        "training_metrics": _metrics(winner),
        "candidates": [
            {
                "name": name,
                "hyperparameters": record["hyperparameters"],
                "training_metrics": _metrics(record),
                **_scored(scored.get(name)),
                "attempts": record.get("attempts"),
            }  # every training job it took, and how each ended
            for name, record in trained.items()
        ],
        "winner_reason": gate and gate["winner_reason"],
        "cleaned_up": cleaned,
        "training_set": training,
        "catalog": pinned,
        "gate": gate
        and {k: v for k, v in gate.items() if k not in ("questions", "winner", "candidates")},
        "approval": approval,
        "promoted": promoted,
        "deployed_at": current["promoted_at"] if promoted else None,
        "model_path": winner.get("model_path"),
    }
    write_lineage(root, version, lineage)
    verdict = "PROMOTED and deployed" if promoted else "NOT PROMOTED"
    if approval and approval["decision"] != "Approve":
        verdict += (
            " (rejected: approval timed out)"
            if approval.get("timed_out")
            else f" (rejected by {approval['by']})"
        )
    log.info(f"{version}: {verdict}. {gate['reason'] if gate else ''} Lineage: {root / version}")
    return lineage
