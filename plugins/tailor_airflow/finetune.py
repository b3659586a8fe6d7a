"""finetune's steps: pin inputs, build the set, train, gate, deploy, record lineage.

Files live under ``<data_root>/models/<version>/`` (version = one per DAG run, so a
retried task finds its own work): the training set, ``gate.json``, ``lineage.json``, and
on the local backend the merged model folder. ``<data_root>/models/current.json`` says
which version is served; only the deploy step moves it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowFailException

from tailor.finetune.dataset import PROMPT, Method, TrainingDataError, build_training_set
from tailor.finetune.gate import decide
from tailor.finetune.registry import promote, read_current, version_name, write_lineage
from tailor.kb_sync import last_synced, load_snapshot
from tailor.settings import Backend, Settings
from tailor.testset import load_test_set
from tailor_airflow.assets import MODEL
from tailor_airflow.config import kb_state_root, load_settings, models_root, storage_path

LORA_RANK = 8


def _write_jsonl(path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def _read_jsonl(path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


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
    print(f"Training on catalog {pinned['manifest_hash'][:12]} (synced {commit['synced_at']}); "
          f"deployed model: {pinned['deployed_version'] or 'none'}")  # fmt: skip
    return pinned


def prepare_training_set(method: str, pinned: dict[str, Any], run_id: str) -> dict[str, Any]:
    """Build, leak-check and store the training set and the gate's questions."""
    settings = load_settings()
    products = load_snapshot(kb_state_root(settings), pinned["manifest_hash"])
    test_path = storage_path(settings, settings.test_set_uri)
    if not test_path.exists():
        raise AirflowFailException(f"test set {test_path} not found; the leak check needs it")
    test_set = load_test_set(test_path.read_bytes(), str(test_path), {p.name for p in products})
    try:
        training = build_training_set(Method(method), products, test_set.cases)
    except TrainingDataError as err:
        raise AirflowFailException(str(err)) from err
    version = version_name(run_id)
    folder = models_root(settings) / version
    # the training channel holds only training files: JumpStart reads every file in it
    channel = folder / "train"
    if training.method is Method.DOMAIN_ADAPTATION:
        _write_jsonl(channel / "train.jsonl", [{"text": t} for t in training.texts])
    else:
        pairs = [{"question": p.question, "answer": p.answer} for p in training.pairs]
        _write_jsonl(channel / "train.jsonl", pairs)
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
    _write_jsonl(folder / "gate_questions.jsonl", gate)
    summary = {
        "version": version,
        "method": training.method.value,
        "examples": training.size,
        "characters": training.characters,
        "held_out": len(training.held_out),
        "gate_questions": len(gate),
        "folder": str(folder),
        "train_uri": str(channel),
    }
    print(f"Training set {version}: {summary}")
    return summary


def _local_model_dir(settings: Settings, version: str) -> Path:
    return settings.local_root / "models" / version / "model"


class TrainModelOperator(BaseOperator):
    """Train the candidate: LoRA on the local backend (SageMaker JumpStart on aws)."""

    template_fields = ("training",)
    ui_color = "#e8daef"

    def __init__(self, *, training: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.training = training

    def execute(self, context: Context) -> dict[str, Any]:
        settings = load_settings()
        if settings.backend is Backend.LOCAL:
            return self._train_local(settings, context["params"])
        return self._train_aws(settings, context)

    # -- aws: JumpStart training job, then the candidate staged as an inference component
    def _train_aws(self, settings: Settings, context: Context) -> dict[str, Any]:
        from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger

        from tailor_airflow.sagemaker_model import (
            SageMakerModels,
            jumpstart_training_request,
            resource_name,
        )

        models = SageMakerModels(settings)
        job = resource_name(self.training["version"])
        described = models.training_job(job)
        if described is None:
            output = f"{settings.data_root.rstrip('/')}/models/{self.training['version']}/output"
            request = jumpstart_training_request(
                settings, context["params"], job, self.training["train_uri"], output
            )
            models.submit_training(request)
            self.log.info("Submitted training job %s", job)
        else:
            self.log.info("Training job %s exists (%s): re-attaching", job,
                          described["TrainingJobStatus"])  # fmt: skip
            if described["TrainingJobStatus"] == "Completed":
                return self.after_training(context, {"status": "success"})
        self.defer(
            trigger=SageMakerTrigger(
                job_name=job, job_type="Training", waiter_delay=60, waiter_max_attempts=24 * 60,
                aws_conn_id=settings.aws_conn_id, region_name=settings.region_name,
            ),
            method_name="after_training",
        )  # fmt: skip

    def after_training(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        from tailor_airflow.sagemaker_model import SageMakerModels, resource_name
        from tailor_airflow.scaling_triggers import EndpointInServiceTrigger

        settings = load_settings()
        models = SageMakerModels(settings)
        job = models.training_job(resource_name(self.training["version"]))
        if event.get("status") != "success" or job["TrainingJobStatus"] != "Completed":
            raise RuntimeError(
                f"training job {job['TrainingJobName']} ended {job['TrainingJobStatus']}: "
                f"{job.get('FailureReason', event)}"
            )
        if not models.ensure_endpoint():
            self.log.info("Created endpoint %s for inference components; waiting", models.endpoint)
            self.defer(
                trigger=EndpointInServiceTrigger(
                    endpoint_name=models.endpoint, target=1, poll_interval=30, max_attempts=60,
                    aws_conn_id=settings.aws_conn_id, region_name=settings.region_name,
                ),
                method_name="stage_candidate",
            )  # fmt: skip
        return self.stage_candidate(context, {"status": "converged"})

    def stage_candidate(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        from tailor_airflow.sagemaker_model import SageMakerModels, resource_name
        from tailor_airflow.scaling_triggers import InferenceComponentTrigger

        if event.get("status") != "converged":
            raise RuntimeError(f"endpoint did not become ready: {event}")
        settings = load_settings()
        models = SageMakerModels(settings)
        job = models.training_job(resource_name(self.training["version"]))
        component = models.stage_component(
            self.training["version"], job["ModelArtifacts"]["S3ModelArtifacts"]
        )
        self.log.info("Candidate staged as inference component %s; waiting for a copy", component)
        self.defer(
            trigger=InferenceComponentTrigger(
                component_name=component, target=1, poll_interval=30, max_attempts=60,
                aws_conn_id=settings.aws_conn_id, region_name=settings.region_name,
            ),
            method_name="candidate_ready",
        )  # fmt: skip

    def candidate_ready(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        from tailor_airflow.sagemaker_model import SageMakerModels, resource_name

        settings = load_settings()
        name = resource_name(self.training["version"])
        if event.get("status") != "converged":
            SageMakerModels(settings).delete_component(name)  # never leave a broken candidate
            raise RuntimeError(f"candidate component {name} did not start: {event}")
        job = SageMakerModels(settings).training_job(name)
        return {
            "training_job": name,
            "inference_component": name,
            "model_artifacts": job["ModelArtifacts"]["S3ModelArtifacts"],
            "base_model": settings.base_model_id,
            "seconds": job.get("TrainingTimeInSeconds"),
            "billable_seconds": job.get("BillableTimeInSeconds"),
            "metrics": {m["MetricName"]: m["Value"] for m in job.get("FinalMetricDataList", [])},
        }

    def _train_local(self, settings: Settings, params: dict[str, Any]) -> dict[str, Any]:
        from tailor.local.lora import train_lora
        from tailor.local.models import base_model_dir

        version = self.training["version"]
        out = _local_model_dir(settings, version)
        metrics = out.parent / "train_metrics.json"
        if (out / "config.json").exists() and metrics.exists():
            self.log.info("Model %s was trained by an earlier try; reusing it", version)
            return json.loads(metrics.read_text())
        records = _read_jsonl(
            Path(self.training["train_uri"].removeprefix("file://")) / "train.jsonl"
        )
        texts = [r["text"] for r in records if "text" in r]
        pairs = [
            (PROMPT.format(question=r["question"]), r["answer"]) for r in records if "question" in r
        ]
        base = base_model_dir(Path(settings.model_cache_dir))
        result = train_lora(
            base,
            out,
            texts=texts,
            pairs=pairs,
            epochs=params["epochs"],
            learning_rate=params["learning_rate"],
            max_steps=params["max_steps"] or None,
            rank=LORA_RANK,
            log=self.log.info,
        )
        trained = {"model_path": str(out), "base_model": str(base), "lora_rank": LORA_RANK,
                   **vars(result)}  # fmt: skip
        metrics.write_text(json.dumps(trained, indent=2))
        return trained


def _answerers(settings: Settings, trained: dict[str, Any], current: dict[str, Any] | None):
    """Answer functions for candidate and deployed model: in-process locally, the
    candidate's and the served inference component on aws (same endpoint, same settings)."""
    if settings.backend is Backend.LOCAL:
        from tailor.local.generate import LocalGenerator

        def local(path: str):
            generator = LocalGenerator(Path(path), max_new_tokens=96)
            return lambda prompt: generator.generate(prompt).text

        return local(trained["model_path"]), current and local(current["path"])
    from tailor_airflow.sagemaker_model import SageMakerModels

    models = SageMakerModels(settings)
    served = (current or {}).get("inference_component") or settings.inference_component_name

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
    questions = _read_jsonl(folder / "gate_questions.jsonl")
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
    print(result.reason)
    return record


class DeployModelOperator(BaseOperator):
    """Make the promoted candidate the served model; emits the `tailor_model` asset event."""

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
            trigger=endpoint.waiter(1, settings.endpoint_poll_seconds, 300),
            method_name="execute_complete",
        )

    def _retire_previous(self, settings: Settings, previous, record) -> dict[str, Any]:
        """Traffic follows the registry's component name; the old component goes away."""
        from tailor_airflow.sagemaker_model import SageMakerModels

        old = (previous or {}).get("inference_component") or settings.inference_component_name
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
    params: dict[str, Any], run_id: str,
) -> dict[str, Any]:  # fmt: skip
    """Everything needed to say where the candidate came from, promoted or not."""
    settings = load_settings()
    root = models_root(settings)
    version = training["version"]
    gate_file = root / version / "gate.json"
    gate = json.loads(gate_file.read_text()) if gate_file.exists() else None
    current = read_current(root)
    promoted = bool(current and current["version"] == version)
    lineage = {
        "version": version,
        "run_id": run_id,
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
        "promoted": promoted,
        "deployed_at": current["promoted_at"] if promoted else None,
        "model_path": trained.get("model_path"),
    }
    write_lineage(root, version, lineage)
    verdict = "PROMOTED and deployed" if promoted else "NOT PROMOTED"
    print(f"{version}: {verdict}. {gate['reason'] if gate else ''} Lineage: {root / version}")
    return lineage
