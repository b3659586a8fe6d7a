"""nightly_eval through Airflow against the reference's loop, on one latency- and capacity-faithful
AWS emulator, at 15, 100 and 1,000 questions.

- **Tailor**: the real `nightly_eval` DAG on `airflow standalone` (LocalExecutor, Airflow's
  default parallelism of 32, PostgreSQL), backend aws, every AWS call — the judges' preflight,
  waking and restoring the inference component, Retrieve, Converse, InvokeEndpoint — sent
  through the connection's ``endpoint_url`` to `tests/support/aws_emulator.py`. Wall time: the run's
  queued_at to its end_date, as Airflow records them (every task, BERTScore and the summary
  included).
- **Reference**: the reference's structure against the same emulator, in this process, with the
  same answerer and judges: each question answered by each approach in turn, then every answer
  judged by each judge in turn, then BERTScore (its model loaded, as a script run does). It
  judges no control items (Tailor adds them).
- **Bound**: what the emulator's capacity allows at best (computed, not measured): the busiest
  resource's work at full use (the endpoint's copies x `copy_capacity`, each Bedrock model's
  `bedrock_limit`) plus one judgement of the last answer.

Latencies are the reference's means (rag 8.3, fine-tuned 4.2, hybrid 17.7 units per answer, a
judgement 3 units, assumed) in units of `unit` seconds, a unit per size so the reference's
sequential loop stays minutes; Airflow's own overhead (task start-up, scheduling) is not scaled.
Throttled: Bedrock's ThrottlingException replies, all retried by botocore's adaptive mode; lost:
answers or judgements missing at the end.

Usage: python bench/eval_orchestration.py [--sizes 15:0.2,100:0.05,1000:0.01] [--timeline]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support: the emulator and the standalone are the tests' own

from tailor.evaluation.approaches import Approach  # noqa: E402
from tailor.local.models import minilm_dir  # noqa: E402
from tests.support.aws_emulator import AwsEmulator, Stats  # noqa: E402
from tests.support.postgres import postgres_cluster  # noqa: E402
from tests.support.standalone import airflow_env, standalone  # noqa: E402

SIZES = "15:0.2,100:0.05,1000:0.01"  # questions:seconds per unit
APPROACHES = [Approach.RAG, Approach.FINE_TUNED, Approach.HYBRID]
CAPACITY = {"copy_capacity": 4, "copies": 1, "bedrock_limit": 10}  # C per copy, copies, R
RAG_MODEL = "us.meta.llama3-1-8b-instruct-v1:0"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def settings(data: Path) -> dict:
    return {
        "backend": "aws",
        "data_root": data.as_uri(),
        "region_name": "us-east-1",
        "knowledge_base_id": "KB12345678",
        "endpoint_name": "tailor-endpoint",
        "inference_component_name": "tailor-v1",
        "rag_model_id": RAG_MODEL,
        "bertscore_model": str(minilm_dir()),
        "endpoint_poll_seconds": 1,
        "batch_threshold": 0,  # the online path: the emulator runs no Bedrock batch jobs
    }


def test_set(size: int) -> list[dict]:
    """`size` distinct questions, cycling through the sample test set."""
    sample = json.loads((REPO / "sample_data" / "test_set.json").read_text())
    return [
        {
            **sample[n % len(sample)],
            "question": f"{sample[n % len(sample)]['question']} (customer {n // len(sample)})",
        }
        for n in range(size)
    ]


# ---- Tailor: the DAG on airflow standalone ------------------------------------------------------
def run_nightly(airflow, size: int, night: str, timeline: bool = False) -> dict:
    """Trigger nightly_eval for `night` on `size` questions and wait for its end."""
    run_id = f"bench-{size}"
    airflow.api(
        "dags/nightly_eval/dagRuns",
        {
            "dag_run_id": run_id,
            "logical_date": f"{night}T01:00:00Z",
            "conf": {
                "approaches": [a.value for a in APPROACHES],
                "judges": [],
                "sample_limit": size,
                "rescore_only": False,
            },
        },
    )
    while (run := airflow.api(f"dags/nightly_eval/dagRuns/{run_id}"))["state"] not in (
        "success",
        "failed",
    ):
        time.sleep(2)
    tasks = airflow.api(f"dags/nightly_eval/dagRuns/{run_id}/taskInstances")["task_instances"]
    if run["state"] != "success":
        failed = [t["task_id"] for t in tasks if t["state"] == "failed"]
        raise SystemExit(f"nightly_eval failed at {failed}:\n{airflow.log_tail()}")
    seconds = _at(run["end_date"]) - _at(run["queued_at"])
    if timeline:
        for t in sorted(tasks, key=lambda t: t["start_date"] or ""):
            if t["start_date"] is None:  # skipped by the scheduler: no worker started
                print(f"    {t['task_id']:<22} map {t['map_index']:>2}: {t['state']}, not started")
                continue
            start = _at(t["start_date"]) - _at(run["queued_at"])
            print(
                f"    {t['task_id']:<22} map {t['map_index']:>2}: starts {start:6.1f} s, "
                f"runs {t['duration']:6.1f} s"
            )
    longest = {}
    for t in tasks:
        longest[t["task_id"]] = max(longest.get(t["task_id"], 0.0), t["duration"] or 0.0)
    return {"seconds": seconds, "longest": longest}


def _at(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def lost_in_night(data: Path, night: str) -> tuple[int, int, int]:
    """Answers missing, judgements missing, and judge items per judge, from the night's files."""
    from tailor.evaluation.night_store import CONTROLS, NightStore
    from tailor.settings import settings_from_env

    store = NightStore(data / "evaluations", night)
    approaches = [approach.value for approach in APPROACHES]
    answers = [a for approach in approaches for a in store.answers(approach)["answers"]]
    parts = [*approaches, CONTROLS]
    judged = [store.judge_scores(judge, parts) for judge in settings_from_env().judges]
    missing = sum(v is None for scores in judged for v in scores.values())
    return sum(a["llm_response"] is None for a in answers), missing, len(judged[0])


# ---- the reference's loop ---------------------------------------------------------------------
def run_reference(cases: list[dict]) -> tuple[float, int, int]:
    """Each question by each approach in turn, then each answer by each judge in turn, then
    BERTScore; returns seconds, answers missing, judgements missing."""
    from tailor.evaluation.judging import answer_items
    from tailor.scoring import BertScorer
    from tailor.settings import settings_from_env
    from tailor.testset import TestCase
    from tailor_airflow.answerers import aws_answerer
    from tailor_airflow.judges import BedrockJudge

    config = settings_from_env()
    answerer = aws_answerer(config)
    judges = [BedrockJudge(config, judge) for judge in config.judges]
    started = time.perf_counter()
    rows = {approach: [] for approach in APPROACHES}
    for case in cases:
        for approach in APPROACHES:
            rows[approach].append(answerer.answer(approach, TestCase(**case)).to_dict())
    items = [item for a in APPROACHES for item in answer_items(a.value, rows[a])]
    scores = [judge.score(item) for item in items for judge in judges]
    answered = [r for approach in APPROACHES for r in rows[approach] if r["llm_response"]]
    BertScorer.for_settings(config).f1(
        [r["llm_response"] for r in answered], [r["ground_truth"] for r in answered]
    )
    missing_answers = sum(len(rows[a]) for a in APPROACHES) - len(answered)
    return time.perf_counter() - started, missing_answers, sum(s is None for s in scores)


# ---- the capacity bound -----------------------------------------------------------------------
def bound_seconds(emulator: AwsEmulator, size: int, judge_items: int) -> float:
    """The busiest resource at full use, plus one judgement of the last answer (computed)."""
    lat = emulator.latencies
    endpoint = (
        size
        * (lat.endpoint + lat.endpoint_with_context)
        / (emulator.copy_capacity * emulator.copies)
    )
    rag_model = size * lat.bedrock_answer / emulator.bedrock_limit
    retrieve = 2 * size * lat.retrieve / emulator.bedrock_limit
    judge_model = judge_items * lat.judge / emulator.bedrock_limit  # each judge is its own model
    return (max(endpoint, rag_model, retrieve, judge_model) + lat.judge) * emulator.unit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=SIZES, help="questions:unit seconds, comma-separated")
    parser.add_argument("--timeline", action="store_true", help="print every task's start and run")
    args = parser.parse_args()
    sizes = [(int(n), float(u)) for n, u in (p.split(":") for p in args.sizes.split(","))]
    largest = max(n for n, _ in sizes)
    with (
        tempfile.TemporaryDirectory() as tmp,
        postgres_cluster() as cluster,
        AwsEmulator(answer_model=RAG_MODEL, **CAPACITY) as emulator,
    ):
        work = Path(tmp)
        data = work / "data"
        data.mkdir()
        (data / "test_set.json").write_text(json.dumps(test_set(largest)))
        (work / "airflow").mkdir()
        connection = json.dumps(
            {
                "conn_type": "aws",
                "login": "testing",
                "password": "testing",
                "extra": {"endpoint_url": emulator.url, "region_name": "us-east-1"},
            }
        )
        env = airflow_env(
            work / "airflow",
            settings(data),
            cluster.database("bench"),
            AIRFLOW_CONN_AWS_DEFAULT=connection,
            TAILOR_EVAL_CRON="0 1 29 2 *",
            TAILOR_EVAL_DEADLINE="never",  # only the bench's runs
            TAILOR_ENDPOINT_DOWN_CRON="never",  # up around the clock: no wake-up in the figures
            AIRFLOW__CORE__PARALLELISM="32",  # Airflow's default (scripts/env.sh: 4, for local)
            **CREDENTIALS,
        )
        shared = ("AIRFLOW_CONN_AWS_DEFAULT", "AIRFLOW_VAR_TAILOR_SETTINGS", *CREDENTIALS)
        os.environ.update({k: env[k] for k in shared})  # the reference's clients: the same
        print(
            f"emulator: endpoint {CAPACITY['copies']} copy x {CAPACITY['copy_capacity']} at "
            f"once, Bedrock {CAPACITY['bedrock_limit']} in flight per model; 3 approaches, "
            "3 judges"
        )
        header = (
            f"{'questions':>9} {'unit s':>6} {'reference s':>11} {'Tailor s':>9} "
            f"{'ratio':>6} {'bound s':>8} {'Tailor/bound':>12} {'throttled':>9} "
            f"{'lost':>4}  Tailor's longest tasks (s)"
        )
        with standalone(work / "airflow", env, "nightly_eval") as airflow:
            airflow.api("dags/nightly_eval", {"is_paused": False}, method="PATCH")
            print(header, flush=True)
            for day, (size, unit) in enumerate(sizes, start=1):
                emulator.unit, emulator.stats = unit, Stats()
                night = f"2026-01-{day:02d}"
                tailor = run_nightly(airflow, size, night, args.timeline)
                lost_answers, lost_judged, judge_items = lost_in_night(data, night)
                throttled = sum(emulator.stats.throttled.values())
                emulator.stats = Stats()
                cases = test_set(largest)[:size]
                reference, ref_answers, ref_judged = run_reference(cases)
                throttled_ref = sum(emulator.stats.throttled.values())
                bound = bound_seconds(emulator, size, judge_items)
                longest = ", ".join(
                    f"{task} {tailor['longest'][task]:.0f}"
                    for task in ("answer", "judge_controls", "summarize")
                )
                print(
                    f"{size:>9} {unit:>6} {reference:>11.1f} {tailor['seconds']:>9.1f} "
                    f"{reference / tailor['seconds']:>5.1f}x {bound:>8.1f} "
                    f"{tailor['seconds'] / bound:>11.2f}x {throttled:>4}/{throttled_ref:<4} "
                    f"{lost_answers + lost_judged:>2}/{ref_answers + ref_judged:<2} {longest}",
                    flush=True,
                )
        print("throttled and lost: Tailor/reference")


if __name__ == "__main__":
    main()
