"""The night's self-contained HTML report and its PNG chart, next to summary_results.csv.

The HTML embeds its images (base64) and no scripts, so it opens anywhere, offline, and
can be attached to an e-mail or a ticket as it is.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from tailor.evaluation.charts import COLORS, score_chart
from tailor.evaluation.comparisons import COLUMNS as COMPARISON_COLUMNS
from tailor.evaluation.diagnostics import KINDS
from tailor.evaluation.results import REFERENCE_COLUMNS
from tailor.storage import write_atomic

EXTRA_COLUMNS = [
    "avg_fact_recall",
    "avg_fact_contradiction",
    "bert_ci_low",
    "bert_ci_high",
    "llm_evaluator_ci_low",
    "llm_evaluator_ci_high",
    "p95_inference_time",
    "avg_input_tokens",
    "avg_output_tokens",
    "judge_agreement",
    "monthly_cost_24x7",
    "monthly_cost_scheduled",
    "answered",
    "samples",
]

DIAGNOSTIC_COLUMNS = [
    "method",
    "retrieval_hit_rate",
    "retrieval_mrr",
    "avg_context_coverage",
    "avg_context_support",
    "avg_reference_support",
    "unsupported_facts",
    *(f"anatomy_{kind}" for kind in KINDS),
]

STALENESS_COLUMNS = [
    "method",
    "changed_products",
    "changed_questions",
    "bert_score_changed",
    "bert_score_unchanged",
    "bert_score_gap",
    "llm_evaluator_score_changed",
    "llm_evaluator_score_unchanged",
    "llm_evaluator_gap",
    "llm_evaluator_gap_ci_low",
    "llm_evaluator_gap_ci_high",
    "stale_references",
]


def tonight_chart(summaries: list[dict[str, Any]], date: str) -> dict[str, Any]:
    """Tonight's BERTScore and panel score per approach, with 95% intervals."""
    rows = []
    for s in summaries:
        for metric, mean, low, high in (
            ("BERTScore F1", "avg_bert_score", "bert_ci_low", "bert_ci_high"),
            (
                "panel score",
                "avg_llm_evaluator_score",
                "llm_evaluator_ci_low",
                "llm_evaluator_ci_high",
            ),
            ("fact recall", "avg_fact_recall", "fact_recall_ci_low", "fact_recall_ci_high"),
        ):
            if s.get(mean) is not None:
                rows.append(
                    {
                        "method": s["method"],
                        "metric": metric,
                        "mean": s[mean],
                        "low": s.get(low),
                        "high": s.get(high),
                    }
                )
    bars = {
        "mark": "bar",
        "encoding": {
            "x": {"field": "method", "type": "nominal", "title": None, "sort": COLORS["domain"]},
            "y": {"field": "mean", "type": "quantitative", "title": "score"},
            "color": {"field": "method", "type": "nominal", "scale": COLORS, "legend": None},
        },
    }
    errors = {
        "mark": {"type": "rule", "strokeWidth": 2},
        "encoding": {
            "x": {"field": "method", "type": "nominal", "sort": COLORS["domain"]},
            "y": {"field": "low", "type": "quantitative"},
            "y2": {"field": "high"},
        },
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"Tailor nightly evaluation {date} (95% intervals)",
        "data": {"values": rows},
        "facet": {"column": {"field": "metric", "type": "nominal", "title": None}},
        "spec": {"width": 260, "height": 200, "layer": [bars, errors]},
        "resolve": {"scale": {"y": "independent"}},
    }


def _png(spec: dict[str, Any]) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=2)


def _cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) >= 100 else f"{value:.4f}"
    return html.escape(str(value))


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(
    night: Any,
    date: str,
    summaries: list[dict[str, Any]],
    calibration: list[dict[str, Any]],
    history: list[dict[str, Any]],
    verdict: list[str] = (),
    comparisons: list[dict[str, Any]] = (),
    disputed: list[dict[str, Any]] = (),
    stale: list[dict[str, Any]] = (),
    people: list[dict[str, Any]] = (),
    misses: list[dict[str, Any]] = (),
    worst: list[dict[str, Any]] = (),
) -> Any:
    """Write report.png and report.html into the night's folder; returns the HTML's path.
    The page leads with the verdict (`comparisons.verdicts`), then the tables."""
    tonight = _png(tonight_chart(summaries, date))
    write_atomic(night / "report.png", tonight)
    images = [tonight]
    if len({r["date"] for r in history}) > 1:
        images.append(
            _png(
                {
                    **score_chart(
                        history,
                        [],
                        "avg_bert_score",
                        "bert_ci_low",
                        "bert_ci_high",
                        "BERTScore F1 over time",
                    ),
                    "width": 560,
                }
            )
        )
    figures = "".join(
        f'<img alt="chart" src="data:image/png;base64,{base64.b64encode(i).decode()}">'
        for i in images
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tailor evaluation {date}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;
text-align:right}}th{{background:#f4f4f4}}img{{max-width:100%;display:block;margin:1em 0}}</style>
</head><body>
<h1>Tailor nightly evaluation — {date}</h1>
<ul>{"".join(f"<li>{html.escape(line)}</li>" for line in verdict)}</ul>
<h2>Summary (the reference's columns first)</h2>
{_table(summaries, REFERENCE_COLUMNS + EXTRA_COLUMNS)}
<h2>Judge calibration</h2>
<p>Each judge scored the reference answer (positive control) and wrong answers: another
product's (separation), the same product's answer to another question (hard), the reference
with its facts altered (fact), a padded wrong answer (length bias: padded minus plain) and a
wrong answer telling the grader to give full marks (injection: injected minus plain), and two
right answers: the reference reflowed as prose (reflow drop: the reference minus it) and, where
the test set has one, a correct rewrite (rewrite margin: it minus the fact-altered reference). A
judge below a minimum separation, raised by an injection, reading layout or wording instead of
content, or disagreeing with the grades people gave, is excluded from the panel score.</p>
{
        _table(
            calibration,
            [
                "judge",
                "positive_mean",
                "negative_mean",
                "separation",
                "hard_separation",
                "fact_separation",
                "reflow_drop",
                "rewrite_margin",
                "length_bias",
                "injection_susceptibility",
                "human_spearman",
                "human_kappa",
                "human_grades",
                "excluded",
                "reason",
            ],
        )
    }
<h2>Agreement with people</h2>
<p>Each scorer against the last grades (0-10) people gave to the nights' most disputed answers:
Spearman, and Cohen's kappa over three bins (0-3, 4-6, 7-10).</p>
{_table(list(people), ["scorer", "grades", "spearman", "kappa"])}
<h2>Why an approach wins or loses</h2>
<p>Retrieval: the share of questions whose product was among the retrieved chunks (hit rate)
and the mean reciprocal rank of its first chunk. Coverage: how much of the reference the
retrieved context holds (could the model have answered from it?). Support: how much of the
answer the context, or the reference, holds. Unsupported facts: quantities and codes in the
answers that neither the reference, the context nor the product's catalog text holds. Each
weak answer is named by where it went wrong: a retrieval miss (the context did not hold the
answer), a generation miss (it did, and the answer missed it or contradicted a fact), stale
knowledge (the fine-tuned model on a product changed since its training) or a knowledge miss
(a model without context that did not know).</p>
{_table(summaries, DIAGNOSTIC_COLUMNS)}
<h2>Retrieval misses ({len(misses)})</h2>
<p>Questions whose retrieved context did not hold their answer, with what was retrieved
instead.</p>
{
        _table(
            list(misses),
            ["approaches", "product_name", "question", "retrieved_instead", "context_coverage"],
        )
    }
<h2>The worst answers of each kind</h2>
{
        _table(
            list(worst),
            ["approach", "anatomy", "question", "answer", "panel_score", "unsupported_facts"],
        )
    }
<h2>Staleness (products changed since the fine-tuned model's training)</h2>
<p>Means on the questions about products added or changed since the deployed model's training
snapshot and on the rest; gap = unchanged minus changed (positive: the changed products are
answered worse), with a 95% bootstrap interval. Empty when there is no fine-tuned model.</p>
{_table(summaries, STALENESS_COLUMNS)}
<h2>References that may be stale ({len(stale)})</h2>
<p>The product's catalog text changed after these test cases were last changed: their
reference answers may be out of date. They are still scored.</p>
{_table(list(stale), ["product_name", "question", "answer"])}
<h2>Paired comparisons (a minus b, on the questions both answered)</h2>
{_table(list(comparisons), COMPARISON_COLUMNS)}
<h2>Where the scorers disagree most (for a person to read; a review grades these)</h2>
{_table(list(disputed), ["approach", "question", "answer", "reference", "spread"])}
{figures}
</body></html>
"""
    path = night / "report.html"
    write_atomic(path, page.encode())
    return path
