"""Per-approach summaries in the reference's format, and the evaluation history.

``summary_results.csv`` keeps the reference's columns first (method, avg_bert_score,
avg_llm_evaluator_score, avg_inference_time) and adds intervals, percentiles and tokens.
The history is one Parquet file per evaluated date, written atomically: a rerun of a date
replaces that date's file, and runs for different dates never touch each other's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tailor.evaluation.metrics import latency_summary, mean_ci, present, regressed
from tailor.storage import write_atomic

REFERENCE_COLUMNS = ["method", "avg_bert_score", "avg_llm_evaluator_score", "avg_inference_time"]


def summarize(method: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in rows if r.get("llm_response") is not None]
    bert = mean_ci([r.get("bert_score") for r in answered])
    judged = mean_ci([r.get("llm_evaluator_score") for r in answered])
    facts = mean_ci([r.get("fact_recall") for r in answered])
    contradicted = present([r.get("fact_contradiction") for r in answered])
    timed = present([r["inference_time"] for r in answered])  # a batch job's answers: none
    latency = latency_summary(timed)
    tokens_in = present([r.get("input_tokens") for r in answered])
    tokens_out = present([r.get("output_tokens") for r in answered])
    return {
        "method": method,
        "avg_bert_score": bert.mean,
        "avg_llm_evaluator_score": judged.mean,
        "avg_inference_time": latency["mean"] if timed else None,
        "bert_ci_low": bert.low,
        "bert_ci_high": bert.high,
        "llm_evaluator_ci_low": judged.low,
        "llm_evaluator_ci_high": judged.high,
        "avg_fact_recall": facts.mean,
        "fact_recall_ci_low": facts.low,
        "fact_recall_ci_high": facts.high,
        "avg_fact_contradiction": (
            round(sum(contradicted) / len(contradicted), 6) if contradicted else None
        ),
        "p50_inference_time": latency["p50"] if timed else None,
        "p95_inference_time": latency["p95"] if timed else None,
        "avg_input_tokens": round(sum(tokens_in) / len(tokens_in), 1) if tokens_in else None,
        "avg_output_tokens": round(sum(tokens_out) / len(tokens_out), 1) if tokens_out else None,
        "samples": len(rows),
        "answered": len(answered),
        "truncated": sum(1 for r in answered if r.get("truncated")),
        "unavailable": next((r["unavailable"] for r in rows if r.get("unavailable")), None),
    }


def summary_csv(summaries: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    columns = REFERENCE_COLUMNS + [c for c in summaries[0] if c not in REFERENCE_COLUMNS]
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(summaries)
    return out.getvalue()


def results_table(summaries: list[dict[str, Any]]) -> str:
    """The reference's summary table, as the main command prints it."""

    def cell(value: Any) -> str:
        return (
            "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)
        )

    shown = [*REFERENCE_COLUMNS, "avg_fact_recall", "avg_fact_contradiction"]
    rows = [shown + ["answered"]]
    rows += [
        [cell(s.get(c)) for c in shown] + [f"{s['answered']}/{s['samples']}"] for s in summaries
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows)


def write_history(root: Any, date: str, summaries: list[dict[str, Any]], extra: dict[str, Any]):
    """Replace the history partition of `date` with this night's rows."""
    import pandas as pd

    frame = pd.DataFrame([{"date": date, **s, **extra} for s in summaries])
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    write_atomic(root / f"date={date}" / "summary.parquet", buffer.getvalue())


def read_history(root: Any, sort_by: tuple[str, ...] = ("date", "method")):
    """Every night's rows as one DataFrame, ordered by date and method (or `sort_by`)."""
    import pandas as pd

    if not root.exists():
        return pd.DataFrame()
    parts = [
        pd.read_parquet(io.BytesIO((folder / "summary.parquet").read_bytes()))
        for folder in root.iterdir()
        if folder.name.startswith("date=") and (folder / "summary.parquet").exists()
    ]
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True).sort_values(list(sort_by), ignore_index=True)


def records(frame) -> list[dict[str, Any]]:
    """DataFrame rows as JSON-ready dicts: NaN becomes None."""
    if frame is None or not len(frame):
        return []
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in frame.astype(object).to_dict(orient="records")
    ]


@dataclass(frozen=True)
class RegressionCheck:
    """One approach tonight against its trailing median; no score or no history: no verdict.

    `regressed` needs both: the mean below the trailing median by more than the margin, and
    a paired drop whose 95 % interval is below 0 (`drop`, per question against that question's
    median over the same nights; `paired` questions scored on both sides)."""

    approach: str
    score: float | None
    baseline: float | None
    regressed: bool
    beyond_margin: bool = False
    drop: tuple[float | None, float | None, float | None] = (None, None, None)
    paired: int = 0


Rows = list[dict[str, Any]]


def _paired_drop(tonight: Rows, earlier: list[Rows]):
    """Tonight's panel score minus each question's median over the earlier nights."""
    from statistics import median

    from tailor.evaluation.comparisons import paired_difference
    from tailor.evaluation.comparisons import question_key as key

    before: dict[tuple[str, str], list[float]] = {}
    for rows in earlier:
        for row in rows:
            if row.get("llm_evaluator_score") is not None:
                before.setdefault(key(row), []).append(row["llm_evaluator_score"])
    pairs = [
        (r["llm_evaluator_score"], median(before[key(r)]))
        for r in tonight
        if r.get("llm_evaluator_score") is not None and key(r) in before
    ]
    return paired_difference([a for a, _ in pairs], [b for _, b in pairs])


def check_regressions(
    history: Any,
    approaches: list[str],
    date: str,
    margin: float,
    window: int,
    rows_of: Callable[[str, str], Rows] = lambda approach, night: [],
) -> list[RegressionCheck]:
    """Each approach's panel score on `date` against the median of its `window` nights before;
    `rows_of(approach, night)` gives a night's per-question rows for the paired test."""
    scored = history.dropna(subset=["avg_llm_evaluator_score"]) if len(history) else history
    checks = []
    for approach in approaches:
        mine = scored[scored["method"] == approach] if len(scored) else scored
        today = mine[mine["date"] == date]["avg_llm_evaluator_score"] if len(mine) else []
        if len(today) == 0:
            checks.append(RegressionCheck(approach, None, None, False))
            continue
        score = float(today.iloc[0])
        earlier = mine[mine["date"] < date]
        worse, baseline = regressed(
            earlier["avg_llm_evaluator_score"].tolist(), score, margin, window
        )
        if not worse:
            checks.append(RegressionCheck(approach, score, baseline, False))
            continue
        nights = earlier["date"].tolist()[-window:]
        tonight, before = rows_of(approach, date), [rows_of(approach, n) for n in nights]
        mean, low, high, n = _paired_drop(tonight, before)
        significant = high is not None and high < 0
        checks.append(
            RegressionCheck(approach, score, baseline, significant, True, (mean, low, high), n)
        )
    return checks
