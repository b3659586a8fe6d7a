"""The backend's parts for answering: knowledge base, base model and endpoint.

local: LanceDB retrieval, SmolLM2 in this process, the `transformers serve` endpoint.
aws: Bedrock Knowledge Base retrieval, Bedrock Converse for the base model, the SageMaker
inference component promoted last (or the configured one) or a promoted Bedrock custom model
through Converse, all through the provider's hooks with adaptive retries.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from airflow.providers.amazon.aws.hooks.bedrock import BedrockRuntimeHook

from tailor.converse import answer_inference, reply_parts, user_turn
from tailor.endpoint.observe import EndpointAsleep
from tailor.evaluation.answering import Answerer, Generation, Generator, timed
from tailor.finetune.registry import read_current
from tailor.settings import Backend, Settings
from tailor_airflow.config import models_root
from tailor_airflow.endpoint import served_component
from tailor_airflow.hooks import adaptive_retries, aws_hook
from tailor_airflow.retrieval import knowledge_base


def answerer_for(settings: Settings) -> tuple[Answerer, int]:
    """The backend's Answerer and how many cases a task answers at once."""
    make = local_answerer if settings.backend is Backend.LOCAL else aws_answerer
    workers = 1 if settings.backend is Backend.LOCAL else settings.aws_concurrency
    return make(settings), workers


def local_answerer(settings: Settings) -> Answerer:
    from tailor.local.generate import LOCAL_MAX_TOKENS, LocalGenerator
    from tailor.local.models import base_model_dir
    from tailor.local.server import LocalModelServer

    server = LocalModelServer(settings.local_layout.endpoint, settings.local_endpoint_port)
    base = LocalGenerator(base_model_dir(Path(settings.model_cache_dir)), LOCAL_MAX_TOKENS)

    def endpoint(prompt: str) -> Generation:
        def call():
            reply = server.chat([{"role": "user", "content": prompt}], max_tokens=LOCAL_MAX_TOKENS)
            usage = reply["usage"]
            choice = reply["choices"][0]
            text = choice["message"]["content"].strip()
            cut = choice.get("finish_reason") == "length"
            return text, usage["prompt_tokens"], usage["completion_tokens"], cut

        return timed(call)

    return _answerer(settings, knowledge_base(settings), base.generate, endpoint)


def base_model(settings: Settings) -> Generator:
    """The base model's answers (rag, base) through Converse: all a batch job's online
    stragglers need, so they never look up the fine-tuned model's serving."""
    runtime = aws_hook(BedrockRuntimeHook, settings, config=adaptive_retries())
    return converse_model(settings, runtime, settings.rag_model_id)


def aws_answerer(settings: Settings) -> Answerer:
    from tailor_airflow.sagemaker_model import SageMakerModels

    kb = knowledge_base(settings)
    base = base_model(settings)
    current = read_current(models_root(settings))
    if current and current.get("serving_arn"):  # a Bedrock custom model: Converse, like base
        return _answerer(settings, kb, base, custom_model(settings, current))
    models = SageMakerModels(settings)
    component = served_component(settings, current)

    def endpoint(prompt: str) -> Generation:
        def call():
            text, tokens = models.generate(component, prompt, settings.max_answer_tokens)
            return text, None, tokens, None  # the container reports neither prompt tokens nor why

        return timed(call)

    return _answerer(settings, kb, base, endpoint)


def custom_model(settings: Settings, current: dict[str, Any]) -> Generator:
    """A promoted Bedrock custom model's answers. What serves it is looked up at the first
    answer, not before: provisioned throughput is deleted off-hours, and an approach that
    never asks it (rag, base) must not fail on it. Looked up once; a deleted throughput is
    `EndpointAsleep` for every answer (the approach is unavailable tonight)."""
    runtime = aws_hook(BedrockRuntimeHook, settings, config=adaptive_retries())
    resolved: dict[str, Any] = {}
    lock = threading.Lock()

    def answer(prompt: str) -> Generation:
        with lock:
            if not resolved:
                from tailor_airflow.bedrock_customization import BedrockCustomModels

                try:
                    resolved["model"] = BedrockCustomModels(settings).model_id(current)
                except EndpointAsleep as asleep:
                    resolved["asleep"] = str(asleep)
        if "asleep" in resolved:
            raise EndpointAsleep(resolved["asleep"])
        return converse_model(settings, runtime, resolved["model"])(prompt)

    return answer


def converse_model(settings: Settings, runtime, model_id: str):
    """A Bedrock model's answer through Converse: the base model (``rag_model_id``), or a
    promoted custom model's deployment or throughput."""

    def answer(prompt: str) -> Generation:
        def call():
            response = runtime.conn.converse(
                modelId=model_id,
                messages=user_turn(prompt),
                inferenceConfig=answer_inference(settings.max_answer_tokens),
            )
            return reply_parts(response)

        return timed(call)

    return answer


def _answerer(settings: Settings, kb, base, endpoint) -> Answerer:
    return Answerer(
        kb, base, endpoint, settings.top_k, settings.answer_prompt, settings.context_answer_prompt
    )
