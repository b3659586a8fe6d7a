"""What the Tailor page shows, from the files nightly_eval, kb_sync and finetune keep.

Reads only: the evaluation history (one Parquet partition per night), the judges'
calibration history, the grades people gave, Knowledge Base sync records and model lineage
files.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from tailor.evaluation.charts import all_charts
from tailor.evaluation.comparisons import from_records, verdicts
from tailor.evaluation.night_store import (
    HISTORY,
    HISTORY_COMPARISONS,
    HISTORY_JUDGES,
    HUMAN_GRADES,
)
from tailor.evaluation.results import read_history, records
from tailor.evaluation.review import HUMAN_COMPARED, WINDOW, human_agreement
from tailor.finetune.retrain import describe_reason


def markers(kb_state_root: Any, models_root: Any) -> list[dict[str, Any]]:
    """Knowledge Base syncs and model promotions, dated, for the time axis."""
    events = []
    syncs = kb_state_root / "syncs"
    if syncs.exists():
        for path in syncs.iterdir():
            if path.name.endswith(".json"):
                record = json.loads(path.read_text())
                events.append(
                    {
                        "kind": "kb_sync",
                        "date": record["synced_at"][:10],
                        "label": record.get("plan", {}).get("reason", ""),
                    }
                )
    if models_root.exists():
        for folder in models_root.iterdir():
            lineage = folder / "lineage.json"
            if folder.is_dir() and lineage.exists():
                record = json.loads(lineage.read_text())
                if record.get("promoted") and record.get("deployed_at"):
                    why = describe_reason(record.get("reason"))
                    events.append(
                        {
                            "kind": "model_promotion",
                            "date": record["deployed_at"][:10],
                            "label": f"{record['version']}: {why}",
                        }
                    )
    return sorted(events, key=lambda e: (e["date"], e["kind"]))


def in_range(rows: list[dict[str, Any]], start: str | None, end: str | None) -> list[dict]:
    return [r for r in rows if (not start or r["date"] >= start) and (not end or r["date"] <= end)]


def dashboard(
    evaluations_root: Any,
    kb_state_root: Any,
    models_root: Any,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """History, latest night, calibration and markers in [start, end] (ISO dates)."""
    history = in_range(records(read_history(evaluations_root / HISTORY)), start, end)
    judges = in_range(
        records(read_history(evaluations_root / HISTORY_JUDGES, ("date", "judge"))), start, end
    )
    events = in_range(markers(kb_state_root, models_root), start, end)
    latest_date = max((r["date"] for r in history), default=None)
    latest = [r for r in history if r["date"] == latest_date]
    compared = records(
        read_history(
            evaluations_root / HISTORY_COMPARISONS, ("date", "approach_a", "approach_b", "metric")
        )
    )
    tonight = from_records([c for c in compared if c["date"] == latest_date])
    graded = records(read_history(evaluations_root / HUMAN_GRADES, ("date", "approach", "index")))
    scorers = [*sorted({j["judge"] for j in judges}), *HUMAN_COMPARED]
    people = [asdict(a) for a in human_agreement(graded, scorers).values() if a.grades]
    return {
        "empty": not history,
        "range": {"start": start, "end": end},
        "dates": sorted({r["date"] for r in history}),
        "latest": {
            "date": latest_date,
            "summary": latest,
            "verdict": verdicts(latest, tonight) if latest else [],
            "judges": [j for j in judges if j["date"] == latest_date],
        },
        "people": {"grades": len(graded), "window": WINDOW, "agreement": people},
        "markers": events,
        "charts": all_charts(history, judges, events),
    }
