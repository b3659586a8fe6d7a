"""nightly_eval's orchestration against the reference's sequential loop, side by side.

A latency-injected backend replaces the remote calls with sleeps of the reference's
per-call latencies, scaled down (one unit = UNIT seconds): RAG 8.3, fine-tuned 4.2,
hybrid 17.7 units per answer, a judgement ~2 units; 15 samples x 3 approaches x 3 judges.

- reference: for each approach, for each sample: answer, then each judge in turn.
- nightly_eval: the same Answerer, answer_all and score_items the DAG's tasks call; the
  mapped tasks are modelled as the DAG's concurrent task slots per run
  (max_active_tis_per_dagrun=EVAL_TASK_SLOTS, default 3), each task with its pool of
  `aws_concurrency` (8) calls.
  Scheduler overhead between tasks (about a second per task on a real deployment) is not
  in either figure.
Goal: ratio >= 10x.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from tailor.evaluation.answering import Answerer, Generation, answer_all
from tailor.evaluation.approaches import Approach
from tailor.evaluation.judging import Item, answer_items, score_items
from tailor.retrieval import RetrievedChunk
from tailor.settings import Settings
from tailor.testset import TestCase
from tailor_airflow.dag_defaults import EVAL_TASK_SLOTS as TASK_SLOTS

UNIT = 0.02  # seconds per reference "unit"
SAMPLES, JUDGES, POOL = 15, 3, Settings().aws_concurrency
APPROACHES = [Approach.RAG, Approach.FINE_TUNED, Approach.HYBRID]
# the reference's per-answer latency, split so that retrieval + generation add up to it
LATENCY = {Approach.RAG: 8.3, Approach.FINE_TUNED: 4.2, Approach.HYBRID: 17.7}
RETRIEVAL, JUDGEMENT = 0.5, 2.0


class SlowKnowledgeBase:
    def retrieve(self, query: str, top_k: int = 3) -> list[RetrievedChunk]:
        time.sleep(RETRIEVAL * UNIT)
        return [RetrievedChunk(f"c{i}", "p", "context", 1.0) for i in range(top_k)]


def slow_generator(units_by_context: dict[bool, float]):
    def generate(prompt: str) -> Generation:
        with_context = prompt.startswith("Use the following")
        time.sleep(units_by_context[with_context] * UNIT)
        return Generation("an answer", 100, 20, units_by_context[with_context] * UNIT)

    return generate


def answerer() -> Answerer:
    base = slow_generator({True: LATENCY[Approach.RAG] - RETRIEVAL, False: 0.0})
    endpoint = slow_generator({True: LATENCY[Approach.HYBRID] - RETRIEVAL,
                               False: LATENCY[Approach.FINE_TUNED]})  # fmt: skip
    return Answerer(SlowKnowledgeBase(), base, endpoint)


def judge(item: Item) -> float:
    time.sleep(JUDGEMENT * UNIT)
    return 0.5


CASES = [TestCase("p", f"question {i}?", "reference") for i in range(SAMPLES)]


def reference_loop() -> int:
    calls, answers = 0, answerer()
    for approach in APPROACHES:
        for case in CASES:
            answer = answers.answer(approach, case)
            for _ in range(JUDGES):
                judge(Item("x", case.question, case.answer, answer.llm_response or ""))
                calls += 1
            calls += 1
    return calls


def nightly_eval() -> int:
    answers = answerer()
    with ThreadPoolExecutor(TASK_SLOTS) as slots:  # answer.expand(approach=...)
        answered = list(slots.map(
            lambda approach: (approach, answer_all(answers, approach, CASES, POOL)), APPROACHES
        ))  # fmt: skip
    items = [item for approach, rows in answered
             for item in answer_items(approach, [a.to_dict() for a in rows])]  # fmt: skip
    with ThreadPoolExecutor(TASK_SLOTS) as slots:  # judge.expand(judge=...)
        judged = list(slots.map(lambda _: score_items(judge, items, POOL), range(JUDGES)))
    return len(items) + sum(len(scores) for scores in judged)


def main() -> None:
    expected = SAMPLES * len(APPROACHES) * (1 + JUDGES)
    started = time.perf_counter()
    sequential_calls = reference_loop()
    sequential = time.perf_counter() - started
    started = time.perf_counter()
    ours_calls = nightly_eval()
    ours = time.perf_counter() - started
    assert sequential_calls == ours_calls == expected, (sequential_calls, ours_calls)
    units = SAMPLES * sum(LATENCY.values()) + SAMPLES * len(APPROACHES) * JUDGES * JUDGEMENT
    print(f"{SAMPLES} samples x {len(APPROACHES)} approaches x {JUDGES} judges = {expected} calls,"
          f" 1 unit = {UNIT * 1000:.0f} ms ({units:.0f} units of latency in all)")  # fmt: skip
    print(f"reference (sequential) : {sequential:6.2f} s")
    print(f"nightly_eval           : {ours:6.2f} s  ({TASK_SLOTS} task slots, pool of {POOL})")
    print(f"ratio                  : {sequential / ours:6.1f}x  [goal: >= 10x]")


if __name__ == "__main__":
    main()
