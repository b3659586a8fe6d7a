"""The backend's parts for answering: knowledge base, base model and the fine-tuned model.

local: LanceDB retrieval, SmolLM2 in this process. aws: Bedrock Knowledge Base retrieval,
Bedrock Converse for the base model, through the provider's hooks with adaptive retries. The
fine-tuned model answers through whatever serves it (`tailor_airflow.tuned`).
"""

from __future__ import annotations

from pathlib import Path

from tailor.evaluation.answering import Answerer
from tailor.finetune.registry import read_current
from tailor.settings import Backend, Settings
from tailor_airflow.config import models_root
from tailor_airflow.converse_answers import base_model
from tailor_airflow.retrieval import knowledge_base
from tailor_airflow.tuned import serving_models


def answerer_for(settings: Settings) -> tuple[Answerer, int]:
    """The backend's Answerer and how many cases a task answers at once."""
    make = local_answerer if settings.backend is Backend.LOCAL else aws_answerer
    workers = 1 if settings.backend is Backend.LOCAL else settings.aws_concurrency
    return make(settings), workers


def local_answerer(settings: Settings) -> Answerer:
    from tailor.local.generate import LOCAL_MAX_TOKENS, LocalGenerator
    from tailor.local.models import base_model_dir

    base = LocalGenerator(base_model_dir(Path(settings.model_cache_dir)), LOCAL_MAX_TOKENS)
    endpoint = serving_models(settings, None).served_generator(None)
    return _answerer(settings, knowledge_base(settings), base.generate, endpoint)


def aws_answerer(settings: Settings) -> Answerer:
    current = read_current(models_root(settings))
    endpoint = serving_models(settings, current).served_generator(current)
    return _answerer(settings, knowledge_base(settings), base_model(settings), endpoint)


def _answerer(settings: Settings, kb, base, endpoint) -> Answerer:
    return Answerer(
        kb, base, endpoint, settings.top_k, settings.answer_prompt, settings.context_answer_prompt
    )
