"""The four ways Tailor answers a question, and the prompts they send.

rag: retrieved context + the base model; fine_tuned: the endpoint's model, no context;
hybrid: retrieved context + the endpoint's model; base: the base model, no context.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from tailor.finetune.dataset import PROMPT
from tailor.retrieval import RetrievedChunk


class Approach(StrEnum):
    RAG = "rag"
    FINE_TUNED = "fine_tuned"
    HYBRID = "hybrid"
    BASE = "base"

    @property
    def uses_context(self) -> bool:
        return self in (Approach.RAG, Approach.HYBRID)

    @property
    def uses_endpoint(self) -> bool:
        return self in (Approach.FINE_TUNED, Approach.HYBRID)


CONTEXT_PROMPT = (
    "Use the following product information to answer the customer's question.\n\n"
    "Product information:\n{context}\n\n" + PROMPT
)


def prompt_for(
    question: str, chunks: list[RetrievedChunk], template: str = "", context_template: str = ""
) -> str:
    """The reference's prompts unless the settings give templates of their own."""
    if not chunks:
        return (template or PROMPT).format(question=question)
    context = "\n\n".join(chunk.text for chunk in chunks)
    return (context_template or CONTEXT_PROMPT).format(context=context, question=question)


@dataclass
class Answer:
    """One answer, with the reference's per-sample fields and what Tailor adds."""

    input_text: str
    ground_truth: str
    product_name: str
    llm_response: str | None
    context: str
    chunk_ids: list[str] = field(default_factory=list)
    chunk_products: list[str] = field(default_factory=list)  # each retrieved chunk's product
    retrieval_seconds: float = 0.0
    generation_seconds: float | None = 0.0  # None: answered in a batch job (no latency)
    input_tokens: int | None = None
    output_tokens: int | None = None
    truncated: bool | None = None  # stopped by the token limit (None: the backend does not say)
    unavailable: str | None = None  # why there is no answer (e.g. endpoint asleep)

    @property
    def inference_time(self) -> float | None:
        if self.generation_seconds is None:
            return None
        return round(self.retrieval_seconds + self.generation_seconds, 4)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "inference_time": self.inference_time}
