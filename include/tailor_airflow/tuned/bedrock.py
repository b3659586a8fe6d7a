"""Fine-tuned models as Bedrock custom models: served by an on-demand deployment or
provisioned throughput (billed while they exist), which go when not served; the custom
models stay for audit, but for rejected ones when ``delete_rejected_custom_models`` says so
and beyond ``keep_custom_models`` (retention)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from tailor.endpoint.observe import EndpointAsleep
from tailor.evaluation.answering import Generation, Generator
from tailor.settings import Settings
from tailor_airflow.bedrock_customization import BedrockCustomModels
from tailor_airflow.config import models_root
from tailor_airflow.converse_answers import converse_model, runtime
from tailor_airflow.sagemaker_model import resource_name
from tailor_airflow.tuned.protocol import Record

log = logging.getLogger(__name__)


class BedrockTunedModels:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.models = BedrockCustomModels(settings)

    def answerer(self, record: Record) -> Callable[[str], str]:
        model_id = self.models.model_id(record)
        return lambda prompt: self.models.answer_text(model_id, prompt)

    def served_generator(self, current: Record | None) -> Generator:
        """The promoted custom model's answers. What serves it is looked up at the first
        answer, not before: provisioned throughput is deleted off-hours, and an approach that
        never asks it (rag, base) must not fail on it. Looked up once; a deleted throughput is
        `EndpointAsleep` for every answer (the approach is unavailable tonight)."""
        hook = runtime(self.settings)
        resolved: dict[str, Any] = {}
        lock = threading.Lock()

        def answer(prompt: str) -> Generation:
            with lock:
                if not resolved:
                    try:
                        resolved["model"] = self.models.model_id(current)
                    except EndpointAsleep as asleep:
                        resolved["asleep"] = str(asleep)
            if "asleep" in resolved:
                raise EndpointAsleep(resolved["asleep"])
            return converse_model(self.settings, hook, resolved["model"])(prompt)

        return answer

    def served(self, current: Record | None) -> Record | None:
        return current

    def remove_candidate(self, candidate: Record) -> bool:
        name = resource_name(candidate["name"])
        stopped = self.models.stop_serving(name)
        deleted = self.settings.delete_rejected_custom_models and self._delete(
            self._attempt_names(candidate, name)
        )
        return stopped or bool(deleted)

    def retire(self, served: Record, promoted: Record) -> str | None:
        arn = served.get("serving_arn")
        if not arn or arn == promoted.get("serving_arn"):
            return None
        self.models.stop_serving(served["serving_name"], served["serving"])
        return f"the previous model's {served['serving']} serving {served['serving_name']}"

    def after_clean_up(self, current: Record) -> None:
        self.retire_beyond_retention(current.get("custom_model_arn"))

    def retire_beyond_retention(self, served_arn: str | None) -> list[str]:
        """Retention (``keep_custom_models``, 0: keep all): delete Tailor's custom models
        beyond the newest N, never the one served; log what the rest cost to store monthly."""
        from tailor.evaluation.monthly_cost import custom_model_storage
        from tailor.finetune.custom_models import beyond_retention, recorded

        root = models_root(self.settings)
        keep = self.settings.keep_custom_models
        retired = beyond_retention(recorded(root), keep, served_arn)
        deleted = []
        if retired:
            deleted = self._delete([m["name"] for m in retired])
            gone = ", ".join(deleted) or "nothing (already gone)"
            log.info("Retention (keep_custom_models %d): deleted %s", keep, gone)
        kept = recorded(root)
        monthly = custom_model_storage(self.settings.prices, len(kept))
        log.info("%d custom model(s) kept: $%.2f a month of storage", len(kept), monthly)
        return deleted

    def _attempt_names(self, candidate: Record, name: str) -> list[str]:
        """Every attempt's name: each attempt's custom model takes it (`job_attempts`)."""
        from tailor_airflow.job_attempts import JobAttempts

        attempts = JobAttempts.of(self.settings, candidate["version"], candidate["name"], name)
        return [a["name"] for a in attempts.all()] or [name]

    def _delete(self, names: list[str]) -> list[str]:
        """Delete custom models by name, and from Tailor's record of them; the ones deleted."""
        from tailor.finetune.custom_models import forget

        deleted = [name for name in names if self.models.delete_model(name)]
        forget(models_root(self.settings), names)
        return deleted
