"""The night a nightly_eval task works on: its date and run attempt, its store on the backend's
storage, and the answers and scores its tasks keep there (online and batch alike)."""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import Context, ObjectStoragePath
from airflow.sdk.exceptions import AirflowFailException

from tailor.evaluation.approaches import Answer
from tailor.evaluation.night_store import NightStore
from tailor.finetune.registry import read_current
from tailor.kb_sync import last_synced
from tailor.settings import Settings
from tailor_airflow.config import data_layout, kb_state_root, models_root

log = logging.getLogger(__name__)


def evaluated_date(context: Context) -> str:
    """The run's logical date, or when it was triggered if a manual run has none."""
    run = context["dag_run"]
    return (run.logical_date or run.run_after).date().isoformat()


def attempt_key(context: Context) -> str:
    """This run, and how often it was cleared: task retries share it, a rerun does not."""
    run = context["dag_run"]
    return f"{run.run_id}#{run.clear_number or 0}"


def night_store(settings: Settings, date: str) -> NightStore[ObjectStoragePath]:
    return NightStore(data_layout(settings).evaluations, date)


def system_snapshot(settings: Settings) -> dict[str, str | None]:
    """The Knowledge Base and model versions answering now, kept with every answer file."""
    manifest, _ = last_synced(kb_state_root(settings))
    current = read_current(models_root(settings))
    return {
        "kb_manifest": manifest.hash if manifest else None,
        "model_version": current["version"] if current else "base",
    }


def answers_needed(night: NightStore, approach: str, rescore_only: bool, attempt: str) -> bool:
    """Whether this task must answer: not when re-scoring the stored answers, nor in a task
    retry within the same run attempt (a killed worker) that stored them already; a rerun or
    a cleared run answers again."""
    stored = night.answers_file(approach).exists()
    if rescore_only:
        if not stored:
            raise AirflowFailException(
                f"re-score only: no stored {approach} answers for {night.date}"
            )
        log.info(f"Re-scoring the stored {approach} answers of {night.date}")
        return False
    if stored and night.answers(approach).get("attempt") == attempt:
        log.info(f"{approach}: answered earlier in this run; resuming from the stored answers")
        return False
    return True


def store_answers(
    night: NightStore,
    approach: str,
    attempt: str,
    snapshot: dict[str, str | None],
    answers: list[Answer],
    path: str,
) -> None:
    """Keep an approach's answers with the system snapshot that gave them, the run attempt and
    the path they took (online, or a batch job)."""
    unavailable = {a.unavailable for a in answers if a.unavailable}
    if unavailable:
        log.warning(f"{approach} unavailable for this night: {unavailable.pop()}")
    stored: dict[str, Any] = {
        **snapshot,
        "attempt": attempt,
        "path": path,
        "answers": [a.to_dict() for a in answers],
    }
    night.write_answers(approach, stored)
    answered = sum(a.llm_response is not None for a in answers)
    log.info(f"{approach}: {answered}/{len(answers)} answered ({path})")


def store_judge_scores(
    night: NightStore, judge: str, part: str, scores: dict[str, float | None], how: str
) -> None:
    """One judge's scores of one part of the night, and whether they came online or in batch."""
    missing = sum(v is None for v in scores.values())
    log.info(f"{judge}: {len(scores)} scores of {part} ({how}), {missing} missing")
    night.write_judge_scores(judge, part, scores, how)
