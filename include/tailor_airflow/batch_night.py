"""nightly_eval's batch path (aws, a night of at least `batch_threshold` questions).

The Bedrock answers (rag, base) and the panel's judgements of each approach run as Bedrock
batch inference jobs, kept in ``<night>/batch/<part>/`` (the records, what a job's replies
complete, the job's output). The outputs and rules are the online path's: a record the job
did not answer is asked online, with the online retries; a judge's reply still unparseable
after them is a missing score, never a zero. A part whose model Bedrock will not batch (a
ValidationException: warned once a night), or with fewer records than the model's minimum
(Service Quotas), runs online. The answers and each judge's scores record which path they
took.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import fields, replace
from typing import Any

from tailor.converse import reply_parts, reply_text
from tailor.evaluation.answering import Generation, complete
from tailor.evaluation.approaches import Answer, Approach
from tailor.evaluation.batch import BATCH_MINIMUM, converse_records, job_name
from tailor.evaluation.judging import Item, answer_items, score_items, structured_prompt
from tailor.evaluation.metrics import parse_judge_score
from tailor.evaluation.night_store import NightStore
from tailor.settings import Settings
from tailor.storage import write_atomic
from tailor.testset import TestCase
from tailor_airflow.batch_inference import batch_minimums, job_replies, stored_job, submit_job
from tailor_airflow.config import load_settings
from tailor_airflow.judges import BedrockJudge, judge_inference
from tailor_airflow.night import (
    answers_needed,
    night_store,
    store_answers,
    store_judge_scores,
    system_snapshot,
)

log = logging.getLogger(__name__)


def _minimum(settings: Settings, model_id: str) -> int:
    return batch_minimums(settings, [model_id])[model_id] or BATCH_MINIMUM


def start_answers(approach: str, cases: list[dict], date: str, attempt: str) -> str | None:
    """Retrieve online (rag), keep the prepared answers and their prompts, and start the
    Bedrock job that generates them (`answer_job` finds it); returns the job's ARN, or None
    when the approach answers online tonight (`submit_job` says why)."""
    from tailor.converse import answer_inference
    from tailor_airflow.answerers import answerer_for

    settings = load_settings()
    answerer, workers = answerer_for(settings)
    kind = Approach(approach)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        prepared = list(pool.map(lambda c: answerer.prepare(kind, TestCase(**c)), cases))
    night = night_store(settings, date)
    folder = night.batch_folder(approach)
    prompts = [prompt for _, prompt in prepared]
    name = job_name(date, approach, attempt)
    job = submit_job(
        settings,
        folder,
        name,
        settings.rag_model_id,
        converse_records(prompts, answer_inference(settings.max_answer_tokens)),
        len(prompts),
        _minimum(settings, settings.rag_model_id),
    )
    if job is None:
        return None
    pending = {
        "snapshot": system_snapshot(settings),
        "attempt": attempt,
        "name": name,
        "job": job,
        "answers": [a.to_dict() for a, _ in prepared],
        "prompts": prompts,
    }
    write_atomic(night.pending_file(approach), json.dumps(pending).encode())
    return job


def answer_job(approach: str, date: str, attempt: str) -> str | None:
    """The batch job that completes this run attempt's answers, if `answer` started one and
    its answers are not kept yet: found by its stored ARN, or in a retry after it failed a
    new attempt on the same records (`submit_job`)."""
    settings = load_settings()
    night = night_store(settings, date)
    if not night.pending_file(approach).exists():
        return None
    pending = json.loads(night.pending_file(approach).read_text())
    if pending["attempt"] != attempt or not answers_needed(night, approach, False, attempt):
        return None
    # the model's minimum held when the job started
    job = submit_job(
        settings,
        night.batch_folder(approach),
        pending["name"],
        settings.rag_model_id,
        None,
        len(pending["prompts"]),
        minimum=0,
    )
    if job and job != pending["job"]:
        write_atomic(night.pending_file(approach), json.dumps({**pending, "job": job}).encode())
    return job


def finish_answers(approach: str, date: str) -> None:
    """Complete the prepared answers with the job's replies (a record it did not answer is
    asked online) and keep them as the online path does. Only the base model is needed: a
    fine-tuned model's serving (deleted off-hours) is never looked up here."""
    from tailor_airflow.converse_answers import base_model

    settings = load_settings()
    night = night_store(settings, date)
    pending = json.loads(night.pending_file(approach).read_text())
    prompts = pending["prompts"]
    replies = job_replies(settings, pending["job"], len(prompts))
    base = base_model(settings)
    answer_fields = {f.name for f in fields(Answer)}
    answers = [
        Answer(**{k: v for k, v in a.items() if k in answer_fields}) for a in pending["answers"]
    ]

    def generation(index: int) -> Generation:
        reply = replies[index]
        if reply is None:  # online, with its retries; a batch night reports no latency
            return replace(base(prompts[index]), seconds=None)
        text, tokens_in, tokens_out, cut = reply_parts(reply)
        return Generation(text, tokens_in, tokens_out, None, cut)

    online = sum(r is None for r in replies)
    if online:
        log.warning(f"{approach}: {online} record(s) the batch job did not answer: asking online")
    with ThreadPoolExecutor(max_workers=settings.aws_concurrency) as pool:
        generations = list(pool.map(generation, range(len(prompts))))
    answers = [complete(a, g) for a, g in zip(answers, generations, strict=True)]
    store_answers(night, approach, pending["attempt"], pending["snapshot"], answers, "batch")


def _judged_items(settings: Settings, approach: str, date: str) -> list[Item]:
    return answer_items(approach, night_store(settings, date).answers(approach)["answers"])


def start_judging(approach: str, judges: list[str], date: str, attempt: str) -> dict[str, str]:
    """One batch job per judge over the approach's answers, by judge; a judge without one
    (fewer answers than its model's minimum, or a model Bedrock does not batch) judges online."""
    if not judges:
        return {}
    settings = load_settings()
    night = night_store(settings, date)
    items = _judged_items(settings, approach, date)
    prompts = [structured_prompt(i.question, i.reference, i.candidate) for i in items]
    records = converse_records(prompts, judge_inference(0))
    minimums = batch_minimums(settings, judges)
    jobs = {}
    for judge in judges:
        part = NightStore.judging_part(approach, judge)
        job = submit_job(
            settings,
            night.batch_folder(part),
            job_name(date, part, attempt),
            judge,
            records,
            len(items),
            minimums[judge] or BATCH_MINIMUM,
        )
        if job:
            jobs[judge] = job
    return jobs


def judging_jobs(approach: str, judges: list[str], date: str, attempt: str) -> dict[str, str]:
    """The jobs `start_judging` started for this run attempt, by judge (their stored ARNs)."""
    night = night_store(load_settings(), date)
    jobs = {}
    for judge in judges:
        part = NightStore.judging_part(approach, judge)
        if arn := stored_job(night.batch_folder(part), job_name(date, part, attempt)):
            jobs[judge] = arn
    return jobs


def _judge_online(
    settings: Settings, judge: str, items: list[Item], tried: dict[str, int]
) -> dict[str, float | None]:
    """The items a job left unscored, judged online: each goes on from the tries it had."""
    online = BedrockJudge(settings, judge)
    again = [i for i in items if i.key in tried]
    return score_items(lambda i: online.score(i, tried[i.key]), again, settings.aws_concurrency)


def finish_judging(approach: str, jobs: dict[str, str], date: str) -> None:
    """Each judge's scores from its job (`jobs`: judge -> job ARN); a failed record is judged
    online, an unparseable reply goes on with the online retries, and what is still
    unparseable is missing."""
    settings = load_settings()
    items = _judged_items(settings, approach, date)
    night = night_store(settings, date)
    for judge, arn in jobs.items():
        replies = job_replies(settings, arn, len(items))
        scores: dict[str, Any] = {}
        tried: dict[str, int] = {}  # the items to judge online, and the tries they had
        for item, reply in zip(items, replies, strict=True):
            score = parse_judge_score(reply_text(reply)) if reply is not None else None
            scores[item.key] = score
            if score is None:
                tried[item.key] = 0 if reply is None else 1
        if tried:
            log.warning(
                f"{judge}: {len(tried)} judgement(s) not in the batch job's replies: judging online"
            )
            scores.update(_judge_online(settings, judge, items, tried))
        store_judge_scores(night, judge, approach, scores, "batch")
