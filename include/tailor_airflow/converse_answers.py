"""Answers from Bedrock models through Converse: the base model (rag, base), and a promoted
custom model's deployment or throughput (tuned.bedrock). Greedy, within the night's tokens."""

from __future__ import annotations

from airflow.providers.amazon.aws.hooks.bedrock import BedrockRuntimeHook

from tailor.converse import answer_inference, reply_parts, user_turn
from tailor.evaluation.answering import Generation, Generator, timed
from tailor.settings import Settings
from tailor_airflow.hooks import adaptive_retries, aws_hook


def runtime(settings: Settings) -> BedrockRuntimeHook:
    return aws_hook(BedrockRuntimeHook, settings, config=adaptive_retries())


def base_model(settings: Settings) -> Generator:
    """The base model's answers (rag, base) through Converse: all a batch job's online
    stragglers need, so they never look up the fine-tuned model's serving."""
    return converse_model(settings, runtime(settings), settings.rag_model_id)


def converse_model(settings: Settings, runtime: BedrockRuntimeHook, model_id: str) -> Generator:
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
