"""nightly_eval's steps: cases, answers per approach, scores, the night's summary.

Everything for one evaluated date lives under ``<data_root>/evaluations/<date>/``:
``answers/<approach>.json`` (kept with the system snapshot, so a date can be re-scored),
``scores/`` (BERTScore per approach; per judge, one file per approach's answers and one for
the calibration controls), ``<approach>.json`` (the
reference's per-sample results), ``judges.json`` (calibration, agreement) and
``summary_results.csv``; ``evaluations/history/`` and ``history_judges/`` hold one Parquet
partition per date. A rerun of a date replaces that date's files; every file is written
atomically, so a killed worker leaves the previous complete version.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import AirflowFailException

from tailor.errors import InputError
from tailor.evaluation.answering import answer_all
from tailor.evaluation.approaches import Answer, Approach
from tailor.evaluation.judging import control_items, score_items
from tailor.evaluation.monthly_cost import Usage, monthly_cost, night_token_cost
from tailor.evaluation.panel import agreement, calibration, judged_rows, with_human_agreement
from tailor.evaluation.review import (
    HUMAN_COMPARED,
    disagreeing_judges,
    disputed,
    human_agreement,
)
from tailor.evaluation.streamed_scoring import StreamedScoring
from tailor.finetune.custom_models import recorded as recorded_custom_models
from tailor.finetune.registry import read_current
from tailor.kb_sync import last_synced, load_snapshot
from tailor.settings import Backend, Settings
from tailor.storage import write_atomic
from tailor.testset import TestCase, load_test_set
from tailor_airflow.config import (
    data_layout,
    kb_state_root,
    load_settings,
    models_root,
    storage_path,
    synced_catalog,
)
from tailor_airflow.endpoint_cost import recorded_endpoint_cost
from tailor_airflow.judges import file_name, judge_scorer, preflight
from tailor_airflow.review import human_grades

log = logging.getLogger(__name__)
CASES = "cases.json"  # a night's test cases, their hashes and stale-reference flags
CONTROLS = "controls"  # the judges' calibration items, beside each approach's answers
DISPUTED = 5  # answers the report lists where the scorers disagree most


def evaluated_date(context: Context) -> str:
    """The run's logical date, or when it was triggered if a manual run has none."""
    run = context["dag_run"]
    return (run.logical_date or run.run_after).date().isoformat()


def attempt_key(context: Context) -> str:
    """This run, and how often it was cleared: task retries share it, a rerun does not."""
    run = context["dag_run"]
    return f"{run.run_id}#{run.clear_number or 0}"


def evaluations_root(settings: Settings):
    return data_layout(settings).evaluations


def prepare_cases(sample_limit: int, date: str) -> list[dict[str, str]]:
    """The test set, with entries naming unknown products reported and skipped; the night's
    cases are kept with their hashes (`night_cases`)."""
    settings = load_settings()
    path = storage_path(settings, settings.test_set_uri)
    if not path.exists():
        raise InputError(str(path), None, "test set not found (setting test_set_uri)")
    manifest, _ = last_synced(kb_state_root(settings))
    known = (
        {p.name for p in load_snapshot(kb_state_root(settings), manifest.hash)}
        if manifest
        else None
    )
    test_set = load_test_set(path.read_bytes(), str(path), known)
    for reason in test_set.skipped:
        log.warning(f"Skipped: {reason}")
    cases = test_set.cases[: sample_limit or None]
    if not cases:
        raise InputError(str(path), None, "no usable test cases: " + "; ".join(test_set.skipped))
    log.info(f"{len(cases)} test cases ({len(test_set.skipped)} skipped)")
    plain = [asdict(case) for case in cases]
    night_cases(settings, date, plain, manifest.products if manifest else {})
    return plain


def night_cases(
    settings: Settings, date: str, cases: list[dict[str, str]], products: dict[str, str]
) -> list[dict[str, Any]]:
    """Keep tonight's cases with their hashes and the product's hash in `cases.json`, and flag
    the ones whose reference may be out of date (`staleness.stale_references`)."""
    from tailor.evaluation.staleness import case_hash, case_key, stale_references

    root = evaluations_root(settings)
    kept = [
        {**c, "case_hash": case_hash(c), "product_hash": products.get(c["product_name"])}
        for c in cases
    ]
    nights = sorted(n.name for n in root.iterdir()) if root.exists() else []
    earlier = [
        json.loads((root / night / CASES).read_text())
        for night in nights
        if night < date and (root / night / CASES).exists()
    ]
    stale = stale_references(kept, earlier)
    for case in kept:
        case["reference_may_be_stale"] = case_key(case) in stale
        if case["reference_may_be_stale"]:
            log.warning(
                "Reference may be stale (the product changed after the case was written): %s | %s",
                case["product_name"],
                case["question"],
            )
    write_atomic(root / date / CASES, json.dumps(kept, indent=2).encode())
    return kept


def system_snapshot(settings: Settings) -> dict[str, str | None]:
    """The Knowledge Base and model versions answering now, kept with every answer file."""
    manifest, _ = last_synced(kb_state_root(settings))
    current = read_current(models_root(settings))
    return {
        "kb_manifest": manifest.hash if manifest else None,
        "model_version": current["version"] if current else "base",
    }


def answers_needed(approach: str, date: str, rescore_only: bool, attempt: str) -> bool:
    """Whether this task must answer: not when re-scoring the stored answers, nor in a task
    retry within the same run attempt (a killed worker) that stored them already; a rerun or
    a cleared run answers again."""
    path = evaluations_root(load_settings()) / date / "answers" / f"{approach}.json"
    if rescore_only:
        if not path.exists():
            raise AirflowFailException(f"re-score only: no stored {approach} answers for {date}")
        log.info(f"Re-scoring the stored {approach} answers of {date}")
        return False
    if path.exists() and _answers_file(path).get("attempt") == attempt:
        log.info(f"{approach}: answered earlier in this run; resuming from the stored answers")
        return False
    return True


def answer_night(
    approach: str,
    cases: list[dict],
    judges: list[str],
    date: str,
    rescore_only: bool,
    attempt: str,
    try_number: int,
) -> str | None:
    """The `answer` task: answer every case with one approach and score the answers
    (`night_scoring`). On a batch night (`batch_night`) the Bedrock answers go to a
    batch job started here, and the job, their scoring and every judging are `batch_jobs`' to
    wait for, after the endpoint's lease has ended: the approach is returned for it to map
    over. Other nights return nothing: `batch_jobs` has nothing to map over, and Airflow
    skips it without starting a worker."""
    from tailor_airflow.batch_inference import batch_night

    settings = load_settings()
    batch = batch_night(settings, len(cases))
    needed = answers_needed(approach, date, rescore_only, attempt)
    if batch and needed and not Approach(approach).uses_endpoint:
        from tailor_airflow.batch_night import start_answers

        if start_answers(approach, cases, date, attempt):
            return approach  # scored when the job has answered
        # no job for this model tonight (batch_night says why): online, judged in batch
    judged_now = [] if batch else judges  # a batch night's judgements are batch jobs
    if needed:
        with night_scoring(settings, approach, judged_now) as scoring:
            answer_online(settings, approach, cases, date, attempt, scoring.add)
            write_scores(evaluations_root(settings) / date, approach, *scoring.scores())
    else:
        score_stored(approach, judged_now, date)
    return approach if batch else None


def answer_online(
    settings: Settings,
    approach: str,
    cases: list[dict],
    date: str,
    attempt: str,
    on_answer: Callable[[int, dict], None],
) -> None:
    """Every case answered by one approach, its calls in a bounded pool (aws), and kept;
    each answer handed to `on_answer` (its scoring) as soon as it is in."""
    from tailor_airflow.answerers import answerer_for

    snapshot = system_snapshot(settings)
    answerer, workers = answerer_for(settings)

    def handed_on(position: int, answer: Answer) -> None:
        on_answer(position, answer.to_dict())

    cases_in = [TestCase(**c) for c in cases]
    answers = answer_all(answerer, Approach(approach), cases_in, workers, handed_on)
    store_answers(approach, date, attempt, snapshot, answers, "online")


def store_answers(
    approach: str,
    date: str,
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
    stored = {
        **snapshot,
        "attempt": attempt,
        "path": path,
        "answers": [a.to_dict() for a in answers],
    }
    night = evaluations_root(load_settings()) / date
    write_atomic(night / "answers" / f"{approach}.json", json.dumps(stored, indent=2).encode())
    answered = sum(a.llm_response is not None for a in answers)
    log.info(f"{approach}: {answered}/{len(answers)} answered ({path})")


def stored_answers(night, approach: str) -> dict[str, Any]:
    return _answers_file(night / "answers" / f"{approach}.json")


def _answers_file(path) -> dict[str, Any]:
    """A stored answers file; the first format (a bare list, before snapshots were kept)
    reads as answers whose system snapshot is unknown."""
    stored = json.loads(path.read_text())
    if isinstance(stored, list):
        return {"kb_manifest": None, "model_version": None, "answers": stored}
    return stored


def night_scoring(
    settings: Settings, approach: str, judges: list[str], bertscore: bool = True
) -> StreamedScoring:
    """Tonight's scoring of one approach's answers: the panel judges each answer as it comes
    in on aws (remote judges wait on the network), after them on the local backend (its
    judges are models in this process); BERTScore scores them all at the end."""
    from tailor.scoring import BertScorer

    scorer = BertScorer.for_settings(settings) if bertscore else None
    return StreamedScoring(
        approach,
        {judge: judge_scorer(settings, judge) for judge in judges},
        scorer and scorer.f1,
        overlap=settings.backend is Backend.AWS,
        load_scorer=scorer and scorer.load,
    )


def score_stored(approach: str, judges: list[str], date: str, bertscore: bool = True) -> str:
    """The panel's judgements (and BERTScore) of an approach's stored answers."""
    settings = load_settings()
    night = evaluations_root(settings) / date
    with night_scoring(settings, approach, judges, bertscore) as scoring:
        for position, row in enumerate(stored_answers(night, approach)["answers"]):
            scoring.add(position, row)
        write_scores(night, approach, *scoring.scores())
    return approach


def write_scores(
    night,
    approach: str,
    judged: dict[str, dict[str, float | None]],
    bert: list[float | None] | None,
) -> None:
    """Each judge's scores of an approach's answers and their BERTScore F1 (None where there
    is no answer); BERTScore only when it was scored."""
    for judge, scores in judged.items():
        write_judge_scores(judge_file(night, judge, approach), judge, scores, "online")
    if bert is not None:
        write_atomic(night / "scores" / "bertscore" / f"{approach}.json", json.dumps(bert).encode())


def choose_judges(requested: list[str], date: str) -> list[str]:
    """The judges that can sit tonight; the ones left out are reported and recorded."""
    settings = load_settings()
    judges, left_out = preflight(settings, requested or list(settings.judges))
    for judge, why in left_out.items():
        log.warning(f"Judge {judge} left out: {why}")
    write_atomic(
        evaluations_root(settings) / date / "scores" / "left_out_judges.json",
        json.dumps(left_out, indent=2).encode(),
    )
    if not judges:
        log.warning("No judge can score tonight: llm_evaluator_score will be missing")
    return judges


def judge_file(night, judge: str, part: str):
    """One judge's scores of one part of the night: an approach's answers, or `CONTROLS`."""
    return night / "scores" / "judges" / file_name(judge) / f"{part}.json"


def judge_controls(judge: str, cases: list[dict], date: str) -> str:
    """One judge scores the calibration controls (while the approaches answer)."""
    settings = load_settings()
    night = evaluations_root(settings) / date
    items = control_items(cases, settings.judge_controls, seed=date)
    _judge_items(settings, judge, items, judge_file(night, judge, CONTROLS))
    return judge


def _judge_items(settings: Settings, judge: str, items: list, path) -> None:
    score, workers = judge_scorer(settings, judge)
    started = time.perf_counter()
    scores = score_items(score, items, workers)
    log.info(
        f"{judge}: {len(items)} judgements ({path.stem}) in {time.perf_counter() - started:.1f} s"
    )
    write_judge_scores(path, judge, scores, "online")


def write_judge_scores(path, judge: str, scores: dict[str, float | None], how: str) -> None:
    """One judge's scores of one part of the night, and whether they came online or in batch."""
    missing = sum(v is None for v in scores.values())
    log.info(f"{judge}: {len(scores)} scores of {path.stem} ({how}), {missing} missing")
    write_atomic(
        path, json.dumps({"judge": judge, "path": how, "scores": scores}, indent=2).encode()
    )


def judge_scores(night, judge: str, approaches: list[str]) -> dict[str, float | None]:
    """A judge's scores of the night: tonight's approaches' answers and the controls."""
    scores: dict[str, float | None] = {}
    for part in [*approaches, CONTROLS]:
        scores.update(json.loads(judge_file(night, judge, part).read_text())["scores"])
    return scores


def summarize_night(approaches: list[str], judges: list[str], date: str, run_id: str) -> str:
    """Per-approach results, summary_results.csv, the history partitions, the printed table."""
    from tailor.evaluation.comparisons import compare, comparisons_csv, verdicts
    from tailor.evaluation.diagnostics import (
        anatomy_line,
        diagnose_rows,
        retrieval_misses,
        worst_answers,
    )
    from tailor.evaluation.results import (
        read_history,
        records,
        results_table,
        summarize,
        summary_csv,
        write_history,
    )
    from tailor.evaluation.staleness import model_drift, staleness_columns, staleness_line
    from tailor.local.keypoint_judge import KeyPointJudge

    settings = load_settings()
    root = evaluations_root(settings)
    night = root / date
    scores = {judge: judge_scores(night, judge, approaches) for judge in judges}
    minimums = settings.judge_minimums
    calibrated = calibration(
        scores, minimums, settings.judge_max_injection_gain, settings.judge_max_reflow_drop
    )
    humans = human_agreement(human_grades(settings, date), [*judges, *HUMAN_COMPARED])
    calibrated = with_human_agreement(
        calibrated,
        disagreeing_judges(
            {j: humans[j] for j in judges},
            settings.judge_min_human_agreement,
            settings.judge_min_human_grades,
        ),
    )
    excluded = {judge for judge, c in calibrated.items() if c.excluded}
    recorded = recorded_endpoint_cost(settings)  # up to now: tonight's wake-up counts
    serving = (read_current(models_root(settings)) or {}).get("serving")  # a Bedrock custom model
    custom_models = len(recorded_custom_models(models_root(settings)))  # each billed for storage
    endpoint_hours = recorded[0].monthly_hours if recorded else None  # None: only the 24/7 figure
    cases = _cases_by_key(night)
    catalog = synced_catalog(settings)
    diagnosing = KeyPointJudge(catalog)  # one embedder and cache: rag and hybrid share contexts
    summaries, rows_written, drifts = [], {}, {}
    by_snapshot: dict[tuple, Any] = {}  # the approaches share a snapshot: read its lineage once
    for approach in approaches:
        stored = stored_answers(night, approach)
        bert = json.loads((night / "scores" / "bertscore" / f"{approach}.json").read_text())
        rows = judged_rows(approach, stored["answers"], bert, scores, excluded)
        snapshot = (stored["model_version"], stored["kb_manifest"])
        if snapshot not in by_snapshot:
            by_snapshot[snapshot] = model_drift(
                models_root(settings), kb_state_root(settings), *snapshot
            )
        drifted = drifts[approach] = by_snapshot[snapshot]
        for row in rows:
            case = cases.get((row.get("product_name"), row["input_text"]), {})
            row["reference_may_be_stale"] = case.get("reference_may_be_stale", False)
            row["product_changed"] = drifted and row.get("product_name") in drifted.names
        started = time.perf_counter()
        diagnosed = diagnose_rows(
            rows,
            approach,
            diagnosing,
            catalog,
            settings.anatomy_min_score,
            settings.anatomy_min_coverage,
        )
        diagnosed["diagnostics_seconds"] = round(time.perf_counter() - started, 2)
        write_atomic(night / f"{approach}.json", json.dumps(rows, indent=2).encode())
        rows_written[approach] = rows
        summary = summarize(approach, rows)
        summary.update(diagnosed)
        summary.update(
            staleness_columns(rows, drifted and drifted.names),
            changed_products=drifted and len(drifted.names),
            stale_references=sum(r["reference_may_be_stale"] for r in rows),
        )
        summary["judge_agreement"] = agreement(scores, f"{approach}:")
        summary.update(
            monthly_cost(
                approach,
                settings.prices,
                usage_for(settings, summary),
                endpoint_hours,
                settings.endpoint_copies,
                serving,
                custom_models,
            )
        )
        path = stored.get("path", "online")  # a night kept before batch jobs was online
        judged = judges and json.loads(judge_file(night, judges[0], approach).read_text()).get(
            "path", "online"
        )  # one night's judges all take one path
        cost = night_token_cost(
            approach, stored["answers"], settings.prices, path == "batch", serving
        )
        summary.update(answer_path=path, judge_path=judged or None, night_token_cost=cost)
        summary.update(kb_manifest=stored["kb_manifest"], model_version=stored["model_version"])
        summaries.append(summary)
    write_atomic(night / "summary_results.csv", summary_csv(summaries).encode())
    comparisons = compare(rows_written)
    write_atomic(night / "comparisons.csv", comparisons_csv(comparisons).encode())
    verdict = verdicts(summaries, comparisons)
    drifted = drifts.get("fine_tuned") or next(iter(drifts.values()), None)
    if line := staleness_line(summaries, drifted):
        verdict.append(line)
    stale = [c for c in cases.values() if c["reference_may_be_stale"]]
    if stale:
        verdict.append(
            f"{len(stale)} reference answer(s) may be stale: their product "
            "changed after the case was written (listed in the report; still "
            "scored)"
        )
    judge_rows = [
        {
            "judge": c.judge,
            "positive_mean": c.positive_mean,
            "negative_mean": c.negative_mean,
            "separation": c.separation,
            "hard_separation": c.separations.get("hard"),
            "fact_separation": c.separations.get("altered"),
            "length_bias": c.length_bias,
            "injection_susceptibility": c.injection_susceptibility,
            "reflow_drop": c.reflow_drop,
            "rewrite_margin": c.rewrite_margin,
            "human_spearman": humans[c.judge].spearman,
            "human_kappa": humans[c.judge].kappa,
            "human_grades": humans[c.judge].grades,
            "excluded": c.excluded,
            "reason": "; ".join(c.reasons),
        }
        for c in calibrated.values()
    ]
    write_atomic(
        night / "judges.json",
        json.dumps(
            {
                "calibration": judge_rows,
                "agreement": agreement(scores),
                "min_separation": settings.judge_min_separation,
                "minimums": minimums,
                "max_injection_gain": settings.judge_max_injection_gain,
                "max_reflow_drop": settings.judge_max_reflow_drop,
                "human_agreement": [asdict(a) for a in humans.values()],
            },
            indent=2,
        ).encode(),
    )
    write_history(root / "history", date, summaries, {"run_id": run_id})
    if judge_rows:
        write_history(root / "history_judges", date, judge_rows, {"run_id": run_id})
    write_history(
        root / "history_comparisons", date, [asdict(c) for c in comparisons], {"run_id": run_id}
    )
    from tailor.evaluation.report import write_report

    report = write_report(
        night,
        date,
        summaries,
        judge_rows,
        records(read_history(root / "history")),
        verdict,
        [asdict(c) for c in comparisons],
        disputed(rows_written, judges, DISPUTED),
        stale,
        [asdict(a) for a in humans.values() if a.grades],
        retrieval_misses(rows_written),
        worst_answers(rows_written),
    )
    table = results_table(summaries)
    log.info("Evaluation of %s:\n%s\n%s", date, "\n".join(verdict), table)
    log.info(
        "Where the answers went wrong:\n%s",
        "\n".join(anatomy_line(s["method"], s) for s in summaries),
    )
    for c in calibrated.values():
        log.info(
            "Judge %s: separations %s, length bias %s, injection %s -> %s",
            c.judge,
            c.separations,
            c.length_bias,
            c.injection_susceptibility,
            "EXCLUDED: " + "; ".join(c.reasons) if c.excluded else "kept",
        )
    log.info(f"Results: {night}\nReport: {report} (chart: {night / 'report.png'})")
    return table


def _cases_by_key(night) -> dict[tuple[str, str], dict[str, Any]]:
    """The night's cases by (product, question); empty for a night kept before cases were."""
    path = night / CASES
    cases = json.loads(path.read_text()) if path.exists() else []
    return {(c["product_name"], c["question"]): c for c in cases}


def usage_for(settings: Settings, summary: dict[str, Any]) -> Usage:
    """The reference's usage, with tonight's mean tokens if the settings ask for them."""
    tokens_in, tokens_out = summary["avg_input_tokens"], summary["avg_output_tokens"]
    if settings.cost_from_measured_tokens and tokens_in and tokens_out:
        return Usage(input_tokens=tokens_in, output_tokens=tokens_out)
    return Usage()


def check_regression(approaches: list[str], date: str) -> None:
    """Fail when an approach's panel score fell below its trailing median by the margin."""
    from tailor.evaluation.results import check_regressions, read_history

    settings = load_settings()
    history = read_history(evaluations_root(settings) / "history")
    margin = settings.regression_margin

    def rows_of(approach: str, night: str) -> list[dict[str, Any]]:
        path = evaluations_root(settings) / night / f"{approach}.json"
        return json.loads(path.read_text()) if path.exists() else []

    checks = check_regressions(
        history, approaches, date, margin, settings.regression_window, rows_of
    )
    regressions = []
    for check in checks:
        if check.score is None:
            log.info("%s: no panel score tonight; nothing to compare", check.approach)
            continue
        log.info(
            "%s: panel %.4f vs trailing median %s", check.approach, check.score, check.baseline
        )
        if check.beyond_margin:
            mean, low, high = check.drop
            log.info(
                "%s: paired drop %s (95 %% CI %s to %s) on %d questions: %s",
                check.approach,
                mean,
                low,
                high,
                check.paired,
                "significant" if check.regressed else "not significant",
            )
        if check.regressed:
            regressions.append(
                f"{check.approach} {check.score:.4f} < {check.baseline:.4f} - "
                f"{margin}, paired drop {check.drop[0]} (CI high {check.drop[2]})"
            )
    if regressions:
        raise AirflowFailException(f"panel score regressed on {date}: {'; '.join(regressions)}")


def flag_stale_fine_tune(date: str) -> dict[str, Any] | None:
    """Tonight's fine_tuned staleness gap when it is significant (the extra of the
    `tailor_fine_tune_stale` event finetune follows); None: no event tonight."""
    from tailor.evaluation.results import read_history, records
    from tailor.evaluation.staleness import significant_gap

    history = records(read_history(evaluations_root(load_settings()) / "history"))
    row = next((r for r in history if r["date"] == date and r["method"] == "fine_tuned"), None)
    if row is None or not significant_gap(row):
        log.info("fine_tuned: no significant staleness gap tonight; no event")
        return None
    gap = {
        k: float(row[k])
        for k in ("llm_evaluator_gap", "llm_evaluator_gap_ci_low", "llm_evaluator_gap_ci_high")
    }
    log.info("fine_tuned (%s) is stale tonight: %s", row["model_version"], gap)
    return {"date": date, "model_version": row["model_version"], **gap}
