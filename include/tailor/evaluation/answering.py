"""Answering a test case with one approach, the same way on every backend.

A backend supplies its knowledge base and two generators, the base model and the endpoint;
this module times retrieval and generation and keeps what the results need. Remote
backends answer a task's cases in a bounded thread pool: the work is waiting on the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tailor.endpoint.observe import EndpointAsleep
from tailor.evaluation.approaches import Answer, Approach, prompt_for
from tailor.retrieval import KnowledgeBase
from tailor.testset import TestCase


@dataclass(frozen=True)
class Generation:
    text: str
    input_tokens: int | None
    output_tokens: int | None
    seconds: float | None  # None: a batch job's reply, which has no latency of its own
    truncated: bool | None = None  # stopped by the token limit; None: the backend does not say


Generator = Callable[[str], Generation]


class Answerer:
    def __init__(
        self,
        kb: KnowledgeBase,
        base: Generator,
        endpoint: Generator,
        top_k: int = 3,
        template: str = "",
        context_template: str = "",
    ) -> None:
        self.kb, self.base, self.endpoint = kb, base, endpoint
        self.top_k, self.template, self.context_template = top_k, template, context_template

    def prepare(self, approach: Approach, case: TestCase) -> tuple[Answer, str]:
        """The answer before generation (its retrieval timed, its chunks kept) and the prompt
        to generate it from: online at once, or in a batch job later."""
        started = time.perf_counter()
        chunks = self.kb.retrieve(case.question, self.top_k) if approach.uses_context else []
        answer = Answer(
            input_text=case.question,
            ground_truth=case.answer,
            product_name=case.product_name,
            llm_response=None,
            context="\n\n".join(c.text for c in chunks),
            chunk_ids=[c.chunk_id for c in chunks],
            chunk_products=[c.product for c in chunks],
            retrieval_seconds=round(time.perf_counter() - started, 4),
        )
        return answer, prompt_for(case.question, chunks, self.template, self.context_template)

    def answer(self, approach: Approach, case: TestCase) -> Answer:
        answer, prompt = self.prepare(approach, case)
        generate = self.endpoint if approach.uses_endpoint else self.base
        try:
            generation = generate(prompt)
        except EndpointAsleep as asleep:
            answer.unavailable = f"endpoint asleep: {asleep}"
            return answer
        return complete(answer, generation)


def complete(answer: Answer, generation: Generation) -> Answer:
    """`answer` with its generation's text, time, tokens and cut."""
    answer.llm_response = generation.text
    answer.generation_seconds = generation.seconds
    answer.input_tokens = generation.input_tokens
    answer.output_tokens = generation.output_tokens
    answer.truncated = generation.truncated
    return answer


def answer_all(
    answerer: Answerer,
    approach: Approach,
    cases: Sequence[TestCase],
    workers: int = 1,
    on_answer: Callable[[int, Answer], None] | None = None,
) -> list[Answer]:
    """Every case answered, in the test set's order; `workers` calls in flight at most.
    `on_answer` is handed each answer with its case's position as soon as it is in (scoring
    need not wait for the slowest answer)."""

    def answer_one(position: int, case: TestCase) -> Answer:
        answer = answerer.answer(approach, case)
        if on_answer:
            on_answer(position, answer)
        return answer

    if workers <= 1:
        return [answer_one(position, case) for position, case in enumerate(cases)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(answer_one, range(len(cases)), cases))


def timed(call: Callable[[], tuple[str, int | None, int | None, bool | None]]) -> Generation:
    """A Generation from a call returning (text, input tokens, output tokens, truncated)."""
    started = time.perf_counter()
    text, tokens_in, tokens_out, truncated = call()
    return Generation(
        text, tokens_in, tokens_out, round(time.perf_counter() - started, 4), truncated
    )
