"""nightly_eval's steps: cases, answers per approach, scores, the night's summary.

Everything for one evaluated date lives under ``<data_root>/evaluations/<date>/``, every
file named by `tailor.evaluation.night_store.NightStore`: the answers (kept with the system
snapshot, so a date can be re-scored), the scores (BERTScore per approach; per judge, one file
per approach's answers and one for the calibration controls), the reference's per-sample
results, ``judges.json`` and ``summary_results.csv``; the history holds one Parquet partition
per date. A rerun of a date replaces that date's files; every file is written atomically, so
a killed worker leaves the previous complete version.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from tailor.errors import InputError
from tailor.evaluation.answering import answer_all
from tailor.evaluation.approaches import Answer, Approach
from tailor.evaluation.judging import control_items, score_items
from tailor.evaluation.monthly_cost import Usage, monthly_cost, night_token_cost
from tailor.evaluation.night_store import CONTROLS, NightStore
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
    kb_state_root,
    load_settings,
    models_root,
    storage_path,
    synced_catalog,
)
from tailor_airflow.endpoint_cost import recorded_endpoint_cost
from tailor_airflow.judges import judge_scorer, preflight
from tailor_airflow.night import (
    answers_needed,
    night_store,
    store_answers,
    store_judge_scores,
    system_snapshot,
)
from tailor_airflow.review import human_grades

log = logging.getLogger(__name__)
DISPUTED = 5  # answers the report lists where the scorers disagree most


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
    night_cases(night_store(settings, date), plain, manifest.products if manifest else {})
    return plain


def night_cases(
    night: NightStore, cases: list[dict[str, str]], products: dict[str, str]
) -> list[dict[str, Any]]:
    """Keep tonight's cases with their hashes and the product's hash in `cases.json`, and flag
    the ones whose reference may be out of date (`staleness.stale_references`)."""
    from tailor.evaluation.staleness import case_hash, case_key, stale_references

    kept = [
        {**c, "case_hash": case_hash(c), "product_hash": products.get(c["product_name"])}
        for c in cases
    ]
    stale = stale_references(kept, night.earlier_cases())
    for case in kept:
        case["reference_may_be_stale"] = case_key(case) in stale
        if case["reference_may_be_stale"]:
            log.warning(
                "Reference may be stale (the product changed after the case was written): %s | %s",
                case["product_name"],
                case["question"],
            )
    night.write_cases(kept)
    return kept


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
    night = night_store(settings, date)
    batch = batch_night(settings, len(cases))
    needed = answers_needed(night, approach, rescore_only, attempt)
    if batch and needed and not Approach(approach).uses_endpoint:
        from tailor_airflow.batch_night import start_answers

        if start_answers(approach, cases, date, attempt):
            return approach  # scored when the job has answered
        # no job for this model tonight (batch_night says why): online, judged in batch
    judged_now = [] if batch else judges  # a batch night's judgements are batch jobs
    if needed:
        with night_scoring(settings, approach, judged_now) as scoring:
            answer_online(settings, approach, cases, night, attempt, scoring.add)
            write_scores(night, approach, *scoring.scores())
    else:
        score_stored(approach, judged_now, date)
    return approach if batch else None


def answer_online(
    settings: Settings,
    approach: str,
    cases: list[dict],
    night: NightStore,
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
    store_answers(night, approach, attempt, snapshot, answers, "online")


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
    night = night_store(settings, date)
    with night_scoring(settings, approach, judges, bertscore) as scoring:
        for position, row in enumerate(night.answers(approach)["answers"]):
            scoring.add(position, row)
        write_scores(night, approach, *scoring.scores())
    return approach


def write_scores(
    night: NightStore,
    approach: str,
    judged: dict[str, dict[str, float | None]],
    bert: list[float | None] | None,
) -> None:
    """Each judge's scores of an approach's answers and their BERTScore F1 (None where there
    is no answer); BERTScore only when it was scored."""
    for judge, scores in judged.items():
        store_judge_scores(night, judge, approach, scores, "online")
    if bert is not None:
        night.write_bertscore(approach, bert)


def choose_judges(requested: list[str], date: str) -> list[str]:
    """The judges that can sit tonight; the ones left out are reported and recorded."""
    settings = load_settings()
    judges, left_out = preflight(settings, requested or list(settings.judges))
    for judge, why in left_out.items():
        log.warning(f"Judge {judge} left out: {why}")
    night_store(settings, date).write_left_out_judges(left_out)
    if not judges:
        log.warning("No judge can score tonight: llm_evaluator_score will be missing")
    return judges


def judge_controls(judge: str, cases: list[dict], date: str) -> str:
    """One judge scores the calibration controls (while the approaches answer)."""
    settings = load_settings()
    items = control_items(cases, settings.judge_controls, seed=date)
    score, workers = judge_scorer(settings, judge)
    started = time.perf_counter()
    scores = score_items(score, items, workers)
    seconds = time.perf_counter() - started
    log.info(f"{judge}: {len(items)} judgements ({CONTROLS}) in {seconds:.1f} s")
    store_judge_scores(night_store(settings, date), judge, CONTROLS, scores, "online")
    return judge


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
    night = night_store(settings, date)
    scores = {judge: night.judge_scores(judge, [*approaches, CONTROLS]) for judge in judges}
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
    cases = {(c["product_name"], c["question"]): c for c in night.cases()}
    catalog = synced_catalog(settings)
    diagnosing = KeyPointJudge(catalog)  # one embedder and cache: rag and hybrid share contexts
    summaries, rows_written, drifts = [], {}, {}
    by_snapshot: dict[tuple, Any] = {}  # the approaches share a snapshot: read its lineage once
    for approach in approaches:
        stored = night.answers(approach)
        rows = judged_rows(approach, stored["answers"], night.bertscore(approach), scores, excluded)
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
        night.write_rows(approach, rows)
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
        judged = judges and night.judge_path(judges[0], approach)  # all take one path
        cost = night_token_cost(
            approach, stored["answers"], settings.prices, path == "batch", serving
        )
        summary.update(answer_path=path, judge_path=judged or None, night_token_cost=cost)
        summary.update(kb_manifest=stored["kb_manifest"], model_version=stored["model_version"])
        summaries.append(summary)
    write_atomic(night.summary_file, summary_csv(summaries).encode())
    comparisons = compare(rows_written)
    write_atomic(night.comparisons_file, comparisons_csv(comparisons).encode())
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
    night.write_judges(
        {
            "calibration": judge_rows,
            "agreement": agreement(scores),
            "min_separation": settings.judge_min_separation,
            "minimums": minimums,
            "max_injection_gain": settings.judge_max_injection_gain,
            "max_reflow_drop": settings.judge_max_reflow_drop,
            "human_agreement": [asdict(a) for a in humans.values()],
        }
    )
    write_history(night.history, date, summaries, {"run_id": run_id})
    if judge_rows:
        write_history(night.history_judges, date, judge_rows, {"run_id": run_id})
    write_history(
        night.history_comparisons, date, [asdict(c) for c in comparisons], {"run_id": run_id}
    )
    from tailor.evaluation.report import write_report

    report = write_report(
        night.folder,
        date,
        summaries,
        judge_rows,
        records(read_history(night.history)),
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
    log.info(f"Results: {night.folder}\nReport: {report} (chart: {night.folder / 'report.png'})")
    return table


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
    tonight = night_store(settings, date)
    history = read_history(tonight.history)
    margin = settings.regression_margin

    def rows_of(approach: str, night: str) -> list[dict[str, Any]]:
        return tonight.night(night).rows(approach)

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

    history = records(read_history(night_store(load_settings(), date).history))
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
