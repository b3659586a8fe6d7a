"""Vega-Lite charts of the evaluation history, shared by the UI page and the nightly report.

Each chart is a plain Vega-Lite spec with its data inline: the page renders it with
vega-embed (served by the plugin, nothing from the internet), the report as a PNG.
"""

from __future__ import annotations

from typing import Any

from tailor.evaluation.approaches import Approach

Rows = list[dict[str, Any]]
COLORS = {
    "domain": [approach.value for approach in Approach],
    "range": ["#1f77b4", "#d62728", "#2ca02c", "#7f7f7f"],
}


def _x() -> dict[str, Any]:
    return {
        "field": "date",
        "type": "temporal",
        "title": "night",
        "axis": {"format": "%b %d", "tickCount": {"interval": "day", "step": 1}},
    }


def _markers(markers: Rows) -> list[dict[str, Any]]:
    """Knowledge Base syncs and model promotions as dashed rules on the time axis."""
    if not markers:
        return []
    return [
        {
            "data": {"values": markers},
            "mark": {"type": "rule", "strokeDash": [4, 4]},
            "encoding": {
                "x": _x(),
                "color": {
                    "field": "kind",
                    "type": "nominal",
                    "title": "event",
                    "scale": {
                        "domain": ["kb_sync", "model_promotion"],
                        "range": ["#9467bd", "#ff7f0e"],
                    },
                },
                "tooltip": [{"field": "kind"}, {"field": "date"}, {"field": "label"}],
            },
        }
    ]


def score_chart(history: Rows, markers: Rows, score: str, low: str, high: str, title: str):
    """An approach's nightly score with its 95% confidence band, plus event markers."""
    rows = [r for r in history if r.get(score) is not None]
    color = {"field": "method", "type": "nominal", "title": "approach", "scale": COLORS}
    layers = [
        {
            "mark": {"type": "area", "opacity": 0.2},
            "encoding": {
                "x": _x(),
                "y": {"field": low, "type": "quantitative"},
                "y2": {"field": high},
                "color": {**color, "legend": None},
            },
        },
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": _x(),
                "y": {
                    "field": score,
                    "type": "quantitative",
                    "title": title,
                    "scale": {"zero": False},
                },
                "color": color,
                "tooltip": [
                    {"field": "date"},
                    {"field": "method"},
                    {"field": score, "format": ".4f"},
                    {"field": low, "format": ".4f"},
                    {"field": high, "format": ".4f"},
                ],
            },
        },
    ]
    return _layered(title, rows, layers, markers)


def line_chart(history: Rows, markers: Rows, field: str, title: str, fmt: str = ".2f"):
    rows = [r for r in history if r.get(field) is not None]
    layers = [
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": _x(),
                "y": {"field": field, "type": "quantitative", "title": title},
                "color": {
                    "field": "method",
                    "type": "nominal",
                    "title": "approach",
                    "scale": COLORS,
                },
                "tooltip": [
                    {"field": "date"},
                    {"field": "method"},
                    {"field": field, "format": fmt},
                ],
            },
        }
    ]
    return _layered(title, rows, layers, markers)


def _dashed_lines(
    title: str,
    history: Rows,
    fields: dict[str, str],
    value: str,
    dash: str,
    y: dict[str, Any],
    dash_title: str | None,
    fmt: str,
    markers: Rows,
):
    """Several history fields per approach on one chart: each night's `fields` (field -> label)
    folded into rows of `value` and `dash` (the label), one line per approach and label."""
    rows = [
        {"date": r["date"], "method": r["method"], dash: label, value: r[field]}
        for r in history
        for field, label in fields.items()
        if r.get(field) is not None
    ]
    layers = [
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": _x(),
                "y": {"field": value, "type": "quantitative", **y},
                "color": {
                    "field": "method",
                    "type": "nominal",
                    "title": "approach",
                    "scale": COLORS,
                },
                "strokeDash": {"field": dash, "type": "nominal", "title": dash_title},
                "tooltip": [
                    {"field": "date"},
                    {"field": "method"},
                    {"field": dash},
                    {"field": value, "format": fmt},
                ],
            },
        }
    ]
    return _layered(title, rows, layers, markers)


def cost_chart(history: Rows):
    """Monthly cost per approach: 24/7 (dashed) and with the recorded endpoint hours."""
    return _dashed_lines(
        "Monthly cost",
        history,
        {"monthly_cost_24x7": "24/7", "monthly_cost_scheduled": "recorded hours"},
        "cost",
        "basis",
        {"title": "$ per month"},
        "endpoint",
        "$,.0f",
        [],
    )


def calibration_chart(judges: Rows):
    """Each judge's nightly control separation; excluded nights drawn hollow."""
    rows = [r for r in judges if r.get("separation") is not None]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Judge calibration (positive minus negative control)",
        "width": "container",
        "height": 220,
        "data": {"values": rows},
        "mark": {"type": "line", "point": {"filled": False, "size": 60}},
        "encoding": {
            "x": _x(),
            "y": {"field": "separation", "type": "quantitative", "title": "separation"},
            "color": {"field": "judge", "type": "nominal"},
            "shape": {"field": "excluded", "type": "nominal", "title": "excluded"},
            "tooltip": [
                {"field": "date"},
                {"field": "judge"},
                {"field": "separation", "format": ".3f"},
                {"field": "excluded"},
            ],
        },
    }


RETRIEVAL = {
    "retrieval_hit_rate": "hit rate",
    "avg_context_coverage": "context coverage",
    "avg_context_support": "answer supported by context",
}


def retrieval_chart(history: Rows, markers: Rows):
    """Retrieval's hit rate, the context's coverage of the reference and the answers' support
    by the context, per approach that retrieves; syncs marked (did a sync degrade it?)."""
    return _dashed_lines(
        "Retrieval and grounding",
        history,
        RETRIEVAL,
        "value",
        "measure",
        {"title": "share", "scale": {"domain": [0, 1]}},
        None,
        ".3f",
        markers,
    )


def anatomy_chart(history: Rows):
    """Each night's answers per approach by where they went wrong (`diagnostics.KINDS`)."""
    from tailor.evaluation.diagnostics import KINDS

    rows = [
        {
            "date": r["date"],
            "method": r["method"],
            "kind": kind.replace("_", " "),
            "answers": r[f"anatomy_{kind}"],
        }
        for r in history
        for kind in KINDS
        if r.get(f"anatomy_{kind}")
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": "Where the answers went wrong",
        "width": "container",
        "height": 220,
        "data": {"values": rows},
        "mark": "bar",
        "encoding": {
            "x": {"field": "date", "type": "ordinal", "title": "night"},
            "xOffset": {"field": "method", "sort": COLORS["domain"]},
            "y": {"field": "answers", "type": "quantitative", "stack": "zero"},
            "color": {
                "field": "kind",
                "type": "nominal",
                "title": None,
                "sort": [k.replace("_", " ") for k in KINDS],
            },
            "tooltip": [
                {"field": "date"},
                {"field": "method"},
                {"field": "kind"},
                {"field": "answers"},
            ],
        },
    }


def _layered(title: str, rows: Rows, layers: list, markers: Rows) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "width": "container",
        "height": 220,
        "data": {"values": rows},
        "layer": layers + _markers(markers),
        "resolve": {"scale": {"color": "independent"}},
    }


def all_charts(history: Rows, judges: Rows, markers: Rows) -> dict[str, dict[str, Any]]:
    return {
        "bertscore": score_chart(
            history, markers, "avg_bert_score", "bert_ci_low", "bert_ci_high", "BERTScore F1"
        ),
        "panel": score_chart(
            history,
            markers,
            "avg_llm_evaluator_score",
            "llm_evaluator_ci_low",
            "llm_evaluator_ci_high",
            "Judge panel score",
        ),
        "latency": line_chart(history, markers, "p95_inference_time", "p95 latency (s)"),
        "staleness": score_chart(
            [r for r in history if r["method"] in ("fine_tuned", "hybrid")],
            markers,
            "llm_evaluator_gap",
            "llm_evaluator_gap_ci_low",
            "llm_evaluator_gap_ci_high",
            "Staleness gap (panel score: unchanged minus changed products)",
        ),
        "retrieval": retrieval_chart(
            [r for r in history if r["method"] in ("rag", "hybrid")], markers
        ),
        "anatomy": anatomy_chart(history),
        "cost": cost_chart(history),
        "calibration": calibration_chart(judges),
    }
