"""nightly_eval's steps: cases, answers per approach, scores, the night's summary.

Everything for one evaluated date lives under ``<data_root>/evaluations/<date>/``:
``answers/<approach>.json`` (kept, so a date can be re-scored), ``<approach>.json`` (the
reference's per-sample results) and ``summary_results.csv``; ``evaluations/history/``
holds one Parquet partition per date. A rerun of a date replaces that date's files.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from functools import cached_property
from pathlib import Path

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowFailException

from tailor.endpoint.observe import EndpointAsleep
from tailor.evaluation.approaches import Answer, Approach, prompt_for
from tailor.finetune.registry import read_current
from tailor.kb_sync import last_synced, load_snapshot
from tailor.settings import Backend, Settings
from tailor.storage import write_atomic
from tailor.testset import TestCase, load_test_set
from tailor_airflow.config import kb_state_root, load_settings, models_root, storage_path


def evaluated_date(context: Context) -> str:
    """The run's logical date, or when it was triggered if a manual run has none."""
    run = context["dag_run"]
    return (run.logical_date or run.run_after).date().isoformat()


def evaluations_root(settings: Settings):
    return storage_path(settings, settings.data_root) / "evaluations"


def prepare_cases(sample_limit: int) -> list[dict[str, str]]:
    """The test set, with entries naming unknown products reported and skipped."""
    settings = load_settings()
    path = storage_path(settings, settings.test_set_uri)
    if not path.exists():
        raise AirflowFailException(f"test set {path} not found")
    manifest, _ = last_synced(kb_state_root(settings))
    known = (
        {p.name for p in load_snapshot(kb_state_root(settings), manifest.hash)}
        if manifest
        else None
    )
    test_set = load_test_set(path.read_bytes(), str(path), known)
    for reason in test_set.skipped:
        print(f"Skipped: {reason}")
    cases = test_set.cases[: sample_limit or None]
    if not cases:
        raise AirflowFailException(f"no usable test cases in {path}")
    print(f"{len(cases)} test cases ({len(test_set.skipped)} skipped)")
    return [asdict(case) for case in cases]


class LocalAnswerer:
    """Answers on the embedded backend: LanceDB retrieval, SmolLM2 in-process, the endpoint."""

    def __init__(self, settings: Settings) -> None:
        from tailor.local.server import LocalModelServer
        from tailor_airflow.retrieval import knowledge_base

        self.settings = settings
        self.kb = knowledge_base(settings)
        self.server = LocalModelServer(
            settings.local_root / "endpoint", settings.local_endpoint_port
        )

    @cached_property
    def base(self):
        from tailor.local.generate import LocalGenerator
        from tailor.local.models import base_model_dir

        return LocalGenerator(
            base_model_dir(Path(self.settings.model_cache_dir)), max_new_tokens=96
        )

    def answer(self, approach: Approach, case: TestCase) -> Answer:
        started = time.perf_counter()
        chunks = (
            self.kb.retrieve(case.question, self.settings.top_k) if approach.uses_context else []
        )
        retrieval = round(time.perf_counter() - started, 4)
        prompt = prompt_for(case.question, chunks)
        answer = Answer(
            input_text=case.question, ground_truth=case.answer, product_name=case.product_name,
            llm_response=None, context="\n\n".join(c.text for c in chunks),
            chunk_ids=[c.chunk_id for c in chunks], retrieval_seconds=retrieval,
        )  # fmt: skip
        if not approach.uses_endpoint:
            generation = self.base.generate(prompt)
            answer.llm_response = generation.text
            answer.generation_seconds = generation.seconds
            answer.input_tokens, answer.output_tokens = (
                generation.input_tokens,
                generation.output_tokens,
            )
            return answer
        started = time.perf_counter()
        try:
            reply = self.server.chat([{"role": "user", "content": prompt}], max_tokens=96)
        except EndpointAsleep as asleep:
            answer.unavailable = f"endpoint asleep: {asleep}"
            return answer
        answer.generation_seconds = round(time.perf_counter() - started, 4)
        answer.llm_response = reply["choices"][0]["message"]["content"].strip()
        answer.input_tokens = reply["usage"]["prompt_tokens"]
        answer.output_tokens = reply["usage"]["completion_tokens"]
        return answer


def answer_approach(approach: str, cases: list[dict], date: str, rescore_only: bool) -> str:
    """Answer every case with one approach and keep the answers for this date."""
    settings = load_settings()
    path = evaluations_root(settings) / date / "answers" / f"{approach}.json"
    if rescore_only:
        if not path.exists():
            raise AirflowFailException(f"re-score only: no stored {approach} answers for {date}")
        print(f"Re-scoring the stored {approach} answers of {date}")
        return approach
    if settings.backend is not Backend.LOCAL:
        raise AirflowFailException("nightly_eval answers on the aws backend are not built yet")
    answerer = LocalAnswerer(settings)
    answers = [answerer.answer(Approach(approach), TestCase(**case)) for case in cases]
    unavailable = {a.unavailable for a in answers if a.unavailable}
    if unavailable:
        print(f"{approach} unavailable for this night: {unavailable.pop()}")
    write_atomic(path, json.dumps([a.to_dict() for a in answers], indent=2).encode())
    print(f"{approach}: {sum(a.llm_response is not None for a in answers)}/{len(answers)} answered")
    return approach


def score_approach(approach: str, date: str) -> str:
    """BERTScore every answer and write the reference's per-approach results file."""
    from tailor.scoring import BertScorer

    settings = load_settings()
    night = evaluations_root(settings) / date
    answers = json.loads((night / "answers" / f"{approach}.json").read_text())
    answered = [a for a in answers if a["llm_response"] is not None]
    scores = BertScorer.for_settings(settings).f1(
        [a["llm_response"] for a in answered], [a["ground_truth"] for a in answered]
    )
    scored = iter(scores)  # in the order of the answered ones
    rows = [
        {**a, "bert_score": next(scored) if a["llm_response"] is not None else None,
         "llm_evaluator_score": None}  # judges: not built yet; missing, never 0
        for a in answers
    ]  # fmt: skip
    write_atomic(night / f"{approach}.json", json.dumps(rows, indent=2).encode())
    return approach


def summarize_night(approaches: list[str], date: str, run_id: str) -> str:
    """summary_results.csv, this date's history partition, and the printed table."""
    from tailor.evaluation.results import results_table, summarize, summary_csv, write_history

    settings = load_settings()
    root = evaluations_root(settings)
    summaries = [
        summarize(a, json.loads((root / date / f"{a}.json").read_text())) for a in approaches
    ]
    write_atomic(root / date / "summary_results.csv", summary_csv(summaries).encode())
    manifest, _ = last_synced(kb_state_root(settings))
    current = read_current(models_root(settings))
    snapshot = {
        "run_id": run_id,
        "kb_manifest": manifest.hash if manifest else None,
        "model_version": current["version"] if current else "base",
    }
    write_history(root / "history", date, summaries, snapshot)
    table = results_table(summaries)
    print(f"Evaluation of {date} ({snapshot}):\n{table}\nResults: {root / date}")
    return table
