"""Run Tailor's DAGs on the embedded default and print what happened, in plain words."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from seed_catalog import seed

from tailor.evaluation.approaches import Approach
from tailor.evaluation.comparisons import compare, verdicts
from tailor.evaluation.night_store import NightStore
from tailor.settings import settings_from_env


def run_dag(
    dag_id: str, log_dir: Path, conf: dict | None = None, name: str = ""
) -> tuple[bool, float, Path]:
    """`airflow dags test`, logged to a file; True when the run succeeded."""
    log = log_dir / f"{name or dag_id}.log"
    command = ["airflow", "dags", "test", dag_id] + (["--conf", json.dumps(conf)] if conf else [])
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    text = log.read_text()
    ok = proc.returncode == 0 and "state=failed" not in text and "DagRunState.FAILED" not in text
    return ok, time.perf_counter() - started, log


def failed(dag_id: str, seconds: float, log: Path) -> int:
    print(f"{dag_id} FAILED after {seconds:.0f} s. Last lines of {log}:")
    print("\n".join(log.read_text().splitlines()[-40:]))
    return 1


def main() -> int:
    settings = settings_from_env()
    catalog = seed()
    data = os.environ.get("TAILOR_DEMO_DATA")  # make demo DATA=<folder>: logs of its own too
    suffix = f"-{Path(data).name}" if data else ""
    log_dir = Path(os.environ["AIRFLOW_HOME"]) / f"demo-logs{suffix}"
    log_dir.mkdir(parents=True, exist_ok=True)
    state = settings.local_layout.kb_sync
    before = (
        (state / "last_synced.json").read_text() if (state / "last_synced.json").exists() else None
    )

    print(f"Running kb_sync on the embedded backend (catalog: {catalog}) ...", flush=True)
    ok, seconds, log = run_dag("kb_sync", log_dir)
    if not ok:
        return failed("kb_sync", seconds, log)
    commit = json.loads((state / "last_synced.json").read_text())
    record = json.loads((state / commit["record"]).read_text())
    plan, result = record["plan"], record["result"]
    print(f"\nkb_sync finished in {seconds:.0f} s (Airflow run log: {log})")
    if before == (state / "last_synced.json").read_text():
        print(
            f"  Catalog unchanged since {commit['synced_at']}: no ingestion, nothing re-embedded."
        )
    else:
        print(f"  Documents synced : {plan['files']} file(s), {plan['products']} products")
        print(
            f"  Changes          : {len(plan['added'])} added, {len(plan['modified'])} modified, "
            f"{len(plan['removed'])} removed"
        )
        print(
            f"  Chunks           : {result['chunks']} in the store, {result['chunks_embedded']} "
            f"embedded this run in {result['seconds']:.1f} s "
            f"(knowledge base v{result['kb_version']})"
        )
    print(f"  Knowledge base   : {result['store']}")
    print(f"  Sync record      : {state / commit['record']}")

    from tailor.local.knowledge_base import LocalKnowledgeBase

    cases = json.loads(Path(settings.test_set_uri.removeprefix("file://")).read_text())
    question = cases[0]["question"]
    kb = LocalKnowledgeBase(Path(result["store"]))
    print(f'\nRetrieval check, top {settings.top_k} for "{question}":')
    for hit in kb.retrieve(question, top_k=settings.top_k):
        print(f"  {hit.score:.3f}  {hit.chunk_id}")
    try:
        return (
            finetune_demo(settings, log_dir)
            or endpoint_demo(settings, log_dir, question)
            or evaluation_demo(settings, log_dir)  # last: the night's results table ends the demo
        )
    finally:
        stop_endpoint(settings)


def stop_endpoint(settings) -> None:
    """Leave nothing running: nightly_eval's restore_endpoint put the endpoint back to its
    scheduled state (up on a working day), but no scheduler runs endpoint_schedule here to take
    it down, and a second demo could not bind its port."""
    from tailor.local.server import LocalModelServer

    server = LocalModelServer(settings.local_layout.endpoint, settings.local_endpoint_port)
    if server.stop():
        print(
            f"\n  Local model server on port {settings.local_endpoint_port} stopped: the demo "
            "leaves nothing running (under make airflow, endpoint_schedule runs it)"
        )


def number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_diagnostics(rows: list[dict[str, str]]) -> None:
    """Per approach, where its weak answers went wrong and how retrieval served it."""
    from tailor.evaluation.diagnostics import KINDS, anatomy_line

    seconds = sum(float(r["diagnostics_seconds"]) for r in rows)
    print(f"\n  Where the answers went wrong (diagnostics in {seconds:.1f} s):")
    for row in rows:
        counts = {f"anatomy_{k}": int(row[f"anatomy_{k}"]) for k in KINDS}
        line = f"    {anatomy_line(row['method'], counts)}"
        if row["retrieval_hit_rate"]:
            line += (
                f"; product retrieved {float(row['retrieval_hit_rate']):.0%} (MRR "
                f"{float(row['retrieval_mrr']):.2f}), context covers "
                f"{float(row['avg_context_coverage']):.2f} of the reference and supports "
                f"{float(row['avg_context_support'] or 0):.2f} of the answer"
            )
        if unsupported := int(float(row["unsupported_facts"] or 0)):
            line += f"; {unsupported} fact(s) no source holds"
        print(line)


def evaluation_demo(settings, log_dir: Path, sample_limit: int = 8) -> int:
    """nightly_eval on the first test cases, ending with the reference's results table."""
    from tailor.evaluation.results import results_table, summarize

    print(f"\nRunning nightly_eval: {sample_limit} questions x 4 approaches ...", flush=True)
    ok, seconds, log = run_dag("nightly_eval", log_dir, {"sample_limit": sample_limit})
    if not ok:
        return failed("nightly_eval", seconds, log)
    root = settings.local_layout.evaluations
    dates = [p for p in root.iterdir() if p.name[:1].isdigit()]
    night = NightStore(root, max(dates, key=lambda p: p.stat().st_mtime).name)
    approaches = [approach.value for approach in Approach]
    rows = {a: night.rows(a) for a in approaches}
    summaries = [summarize(a, rows[a]) for a in approaches]
    print(f"  nightly_eval finished in {seconds:.0f} s (Airflow run log: {log})\n")
    for line in verdicts(summaries, compare(rows)):
        print(f"  {line}")
    print("\n  " + results_table(summaries).replace("\n", "\n  "))
    with night.summary_file.open() as file:
        written = list(csv.DictReader(file))
    print_diagnostics(written)
    judges = night.judges()
    print()
    minimums = judges["minimums"]
    for c in judges["calibration"]:
        verdict = "kept" if not c["excluded"] else "EXCLUDED from the panel"
        print(
            f"  Judge {c['judge']:8s}: separates the right answer from another product's by "
            f"{number(c['separation'])} (min {minimums['negative']}), from the same "
            f"product's other answer by {number(c['hard_separation'])} (min {minimums['hard']}), "
            f"from altered facts by {number(c['fact_separation'])} (min {minimums['altered']}); "
            + (
                f"the reference reflowed as prose scores {number(c['reflow_drop'])} lower (max "
                f"{judges['max_reflow_drop']}); "
                if c.get("reflow_drop") is not None
                else ""
            )
            + f"length bias {number(c['length_bias'])}, "
            f"injection {number(c['injection_susceptibility'])} -> {verdict}"
        )
        if c["excluded"]:
            print(f"    why: {c['reason']}")
    for row in written:
        line = f"  Monthly cost {row['method']:10s}: ${float(row['monthly_cost_24x7']):,.0f} 24/7"
        if row["method"] in ("fine_tuned", "hybrid") and row["monthly_cost_scheduled"]:
            line += f", ${float(row['monthly_cost_scheduled']):,.0f} with recorded endpoint hours"
        print(line)
    print(
        f"\n  Results          : {night.folder} "
        "(summary_results.csv, judges.json, one JSON per approach)"
    )
    return 0


def finetune_demo(settings, log_dir: Path) -> int:
    """One epoch of LoRA on the synced catalog, gated against the deployed model."""
    models = settings.local_layout.models
    before = {p.name for p in models.iterdir()} if models.exists() else set()
    print("\nRunning finetune: one epoch of LoRA on SmolLM2-135M, then the gate ...", flush=True)
    ok, seconds, log = run_dag("finetune", log_dir)
    if not ok:
        return failed("finetune", seconds, log)
    (version,) = {p.name for p in models.iterdir() if p.is_dir()} - before
    lineage = json.loads((models / version / "lineage.json").read_text())
    metrics, gate = lineage["training_metrics"], lineage["gate"]
    print(f"  finetune finished in {seconds:.0f} s (Airflow run log: {log})")
    print(
        f"  Training         : {lineage['method']}, {metrics['examples']} examples, "
        f"{metrics['steps']} steps, loss {metrics['first_loss']} -> {metrics['last_epoch_loss']}, "
        f"{metrics['seconds_per_epoch']:.0f} s/epoch"
    )
    verdict = "PROMOTED" if lineage["promoted"] else "not promoted"
    print(f"  Gate             : {verdict}: {gate['reason']}")
    print(f"  Model            : {models / version}")
    return 0


def endpoint_demo(settings, log_dir: Path, question: str) -> int:
    """Wake the local endpoint, ask it one question, and put it back to zero."""
    from tailor.local.server import LocalModelServer

    print("\nRunning endpoint_schedule: waking the local model endpoint ...", flush=True)
    ok, seconds, log = run_dag("endpoint_schedule", log_dir, {"target_copies": 1}, "endpoint_up")
    if not ok:
        return failed("endpoint_schedule", seconds, log)
    server = LocalModelServer(settings.local_layout.endpoint, settings.local_endpoint_port)
    started = time.perf_counter()
    reply = server.chat([{"role": "user", "content": question}], max_tokens=48)
    answer = " ".join(reply["choices"][0]["message"]["content"].split())
    served = Path(server.state().model_dir)
    label = served.parent.name if served.name == "model" else "base model"
    print(f"  Endpoint up in {seconds:.0f} s ({server.url}, serving {served})")
    print(f"  {label}, no context, {time.perf_counter() - started:.1f} s: {answer[:160]}")
    ok, seconds, log = run_dag("endpoint_schedule", log_dir, {"target_copies": 0}, "endpoint_down")
    if not ok:
        return failed("endpoint_schedule", seconds, log)
    reports = sorted((settings.local_layout.endpoint / "cost").glob("*.json"))
    cost = json.loads(reports[-1].read_text())  # written by report_cost in this run
    print(
        f"  Scaled back to zero in {seconds:.0f} s. Endpoint: {cost['copy_hours']:.3f} "
        f"copy-hours in the last {cost['period_hours'] / 24:.0f} days -> "
        f"{cost['monthly_hours']:.1f} h/month, "
        f"${cost['monthly_cost']:,.2f}/month vs ${cost['always_on_monthly_cost']:,.0f} "
        f"always on ({cost['share_of_always_on']:.0%}); report at {reports[-1]}"
    )
    print(f"  Scaling events   : {settings.local_layout.endpoint / 'events'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
