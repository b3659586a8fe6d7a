"""finetune's inputs: the pinned catalog, the training set and the gate's questions.

Files live under ``<data_root>/models/<version>/`` (one version per DAG run, so a
retried task finds its own work): ``train/`` is the training channel and holds only
training files; ``gate_questions.jsonl`` sits beside it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from tailor.errors import InputError
from tailor.finetune.bedrock_customization import CustomizableModel, customizable
from tailor.finetune.dataset import PROMPT, Method, TrainingSet, build_training_set
from tailor.finetune.registry import read_current, version_name
from tailor.finetune.sweep import plan_candidates
from tailor.jsonl import write_jsonl
from tailor.kb_sync import last_synced, load_snapshot
from tailor.settings import Backend, Settings
from tailor.testset import load_test_set
from tailor_airflow.config import kb_state_root, load_settings, models_root, storage_path

log = logging.getLogger(__name__)


def pin_inputs() -> dict[str, Any]:
    """The synced catalog the model will learn, and the model it must beat."""
    settings = load_settings()
    _, commit = last_synced(kb_state_root(settings))
    if commit is None:
        raise AirflowFailException(
            "no catalog has been synced yet: run kb_sync first (fine-tuning trains on the "
            "catalog as the knowledge base last synced it)"
        )
    current = read_current(models_root(settings))
    pinned = {
        "manifest_hash": commit["manifest"]["hash"],
        "catalog_synced_at": commit["synced_at"],
        "sync_record": commit["record"],
        "deployed_version": current["version"] if current else None,
    }
    log.info(
        f"Training on catalog {pinned['manifest_hash'][:12]} (synced {commit['synced_at']}); "
        f"deployed model: {pinned['deployed_version'] or 'none'}"
    )
    return pinned


def prepare_training_set(method: str, pinned: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Build, leak-check and store the training set and the gate's questions."""
    settings = load_settings()
    bedrock = _bedrock_model(settings)
    if bedrock and Method(method) is not Method.INSTRUCTION_TUNING:
        raise AirflowFailException(
            f"Bedrock fine-tuning of {bedrock.model_id} trains on question/answer pairs: "
            "use method instruction_tuning (or finetune_service sagemaker)"
        )
    products = load_snapshot(kb_state_root(settings), pinned["manifest_hash"])
    test_path = storage_path(settings, settings.test_set_uri)
    if not test_path.exists():
        raise InputError(str(test_path), None, "test set not found; the leak check needs it")
    test_set = load_test_set(test_path.read_bytes(), str(test_path), {p.name for p in products})
    training = build_training_set(Method(method), products, test_set.cases)
    version = version_name(run_id)
    folder = models_root(settings) / version
    # the training channel holds only training files: JumpStart reads every file in it
    channel = folder / "train"
    if training.method is Method.DOMAIN_ADAPTATION:
        write_jsonl(channel / "train.jsonl", [{"text": t} for t in training.texts])
    else:
        pairs = [{"question": p.question, "answer": p.answer} for p in training.pairs]
        write_jsonl(channel / "train.jsonl", pairs)
        # the reference's instruction template, in JumpStart's template.json form
        (channel / "template.json").write_text(
            json.dumps({"prompt": PROMPT + "\n\n", "completion": " {answer}"})
        )
    n = settings.gate_questions
    gate = [
        {"question": p.question, "answer": p.answer, "source": "held_out"}
        for p in training.held_out[:n]
    ]
    gate += [
        {"question": c.question, "answer": c.answer, "source": "test_set"}
        for c in test_set.cases[:n]
    ]
    write_jsonl(folder / "gate_questions.jsonl", gate)
    summary = {
        "version": version,
        "catalog": pinned["manifest_hash"],
        "method": training.method.value,
        "examples": training.size,
        "characters": training.characters,
        "held_out": len(training.held_out),
        "gate_questions": len(gate),
        # plain URIs: str() of an s3 ObjectStoragePath carries the conn id ("s3://conn@bucket")
        "folder": folder.as_uri(),
        "train_uri": channel.as_uri(),
    }
    if bedrock:
        summary.update(_bedrock_data(bedrock, training, folder))
    log.info(f"Training set {version}: {summary}")
    return summary


def _bedrock_model(settings: Settings) -> CustomizableModel | None:
    """The Bedrock base model a customization job fine-tunes; None when SageMaker (or the local
    backend) trains."""
    if settings.backend is Backend.AWS and settings.finetune_service == "bedrock":
        return customizable(settings.customization_base_model)
    return None


def _bedrock_data(model: CustomizableModel, training: TrainingSet, folder) -> dict[str, Any]:
    """The job's training file, and the held-out pairs as its validation file, in the base
    model's record format (one file each: Bedrock takes a file, not a channel)."""
    data = folder / "bedrock"
    files = {
        "customization_train_uri": (data / "train.jsonl", training.pairs),
        "customization_validation_uri": (data / "validation.jsonl", training.held_out),
    }
    uris = {}
    for key, (path, pairs) in files.items():
        if pairs:  # no held-out pairs: no validation file (Bedrock refuses an empty one)
            write_jsonl(path, [model.record(p.prompt, p.answer) for p in pairs])
            uris[key] = path.as_uri()
    return uris


def plan_sweep(training: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's candidates, one per hyperparameter set of the ``sweep`` Param.

    On aws every candidate is staged on the endpoint for the gate: an endpoint without room
    for them fails the run here, before any training job is paid for.
    """
    settings = load_settings()
    bedrock = _bedrock_model(settings)
    try:
        candidates = plan_candidates(
            training["version"],
            params,
            params.get("sweep") or [],
            **({"learning_rate": bedrock.default_learning_rate} if bedrock else {}),
        )
        for candidate in candidates if bedrock else ():  # the base model's bounds, before paying
            bedrock.hyperparameters(candidate["hyperparameters"], f"candidate {candidate['name']}")
    except InputError as error:
        raise AirflowFailException(str(error)) from error
    if settings.backend is Backend.AWS and not bedrock and len(candidates) > 1:
        from tailor_airflow.sagemaker_model import SageMakerModels

        models = SageMakerModels(settings)
        room = models.candidate_room()
        if room is not None and room < len(candidates):
            raise AirflowFailException(
                f"endpoint {models.endpoint} has room for {room} candidate(s) beside its "
                f"{models.served_copies} served cop(ies), the sweep has {len(candidates)}: "
                "sweep fewer sets, or raise the endpoint config's MaxInstanceCount"
            )
    for candidate in candidates:
        log.info("Candidate %s: %s", candidate["name"], candidate["hyperparameters"])
    return candidates
