"""Staleness: how much worse an approach answers about products that changed since the
deployed model was trained, and which reference answers may be out of date.

The split is the same for every approach of a night (products added or whose content hash
differs between the fine-tuned model's training snapshot and the Knowledge Base's manifest),
so the fine-tuned model's gap can be read against RAG's, which retrieval keeps current.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tailor.evaluation.metrics import Score, present

METRICS = ("bert_score", "llm_evaluator_score", "fact_recall")  # means on each side
GAPS = {"bert_score": "bert_score", "llm_evaluator_score": "llm_evaluator"}  # field -> prefix


@dataclass(frozen=True)
class Drift:
    """Products added or changed in `catalog` since `trained_on`, as a share of `catalog`."""

    added: list[str]
    changed: list[str]
    products: int

    @property
    def names(self) -> set[str]:
        return set(self.added) | set(self.changed)

    @property
    def share(self) -> float:
        return round(len(self.names) / self.products, 6) if self.products else 0.0

    def describe(self) -> str:
        return (
            f"{len(self.names)} of {self.products} products added or changed "
            f"({self.share:.0%}: {len(self.added)} added, "
            f"{len(self.changed)} changed)"
        )


def drift(trained_on: dict[str, str], catalog: dict[str, str]) -> Drift:
    """Compare two manifests' product hashes (name -> content hash)."""
    return Drift(
        added=sorted(n for n in catalog if n not in trained_on),
        changed=sorted(n for n in catalog if n in trained_on and trained_on[n] != catalog[n]),
        products=len(catalog),
    )


def gap_ci(
    unchanged: Sequence[Score], changed: Sequence[Score], resamples: int = 2000, seed: int = 0
) -> tuple[float | None, float | None, float | None]:
    """Mean(unchanged) - mean(changed), positive when the changed products score worse, with
    a seeded percentile-bootstrap 95 % interval (each side resampled on its own)."""
    import numpy as np

    a, b = np.array(present(unchanged)), np.array(present(changed))
    if not len(a) or not len(b):
        return None, None, None
    rng = np.random.default_rng(seed)
    diffs = rng.choice(a, size=(resamples, len(a))).mean(axis=1) - rng.choice(
        b, size=(resamples, len(b))
    ).mean(axis=1)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return round(float(a.mean() - b.mean()), 6), round(float(low), 6), round(float(high), 6)


def staleness_columns(rows: list[dict[str, Any]], changed: set[str] | None) -> dict[str, Any]:
    """The summary's staleness columns for one approach's rows. `changed` None (no fine-tuned
    model, or its training snapshot unknown): every column empty. A side with no answered
    question has empty means, never 0."""
    columns: dict[str, Any] = {"changed_questions": None if changed is None else 0}
    for field in METRICS:
        columns |= {f"{field}_changed": None, f"{field}_unchanged": None}
    for prefix in GAPS.values():
        columns |= {
            f"{prefix}_gap": None,
            f"{prefix}_gap_ci_low": None,
            f"{prefix}_gap_ci_high": None,
        }
    if changed is None:
        return columns
    answered = [r for r in rows if r.get("llm_response") is not None]
    sides = {
        "changed": [r for r in answered if r.get("product_name") in changed],
        "unchanged": [r for r in answered if r.get("product_name") not in changed],
    }
    columns["changed_questions"] = sum(1 for r in rows if r.get("product_name") in changed)
    for field in METRICS:
        for side, side_rows in sides.items():
            values = present([r.get(field) for r in side_rows])
            columns[f"{field}_{side}"] = round(sum(values) / len(values), 6) if values else None
    for field, prefix in GAPS.items():
        mean, low, high = gap_ci(
            [r.get(field) for r in sides["unchanged"]], [r.get(field) for r in sides["changed"]]
        )
        columns |= {
            f"{prefix}_gap": mean,
            f"{prefix}_gap_ci_low": low,
            f"{prefix}_gap_ci_high": high,
        }
    return columns


def significant_gap(summary: dict[str, Any]) -> bool:
    """The panel's gap is above 0 with 95 % confidence: changed products answered worse."""
    low = summary.get("llm_evaluator_gap_ci_low")
    return low is not None and low == low and low > 0  # NaN from the history is not a gap


def case_hash(case: dict[str, Any]) -> str:
    """What a test case says: its product, question and reference answer."""
    text = "\0".join(case[f] for f in ("product_name", "question", "answer"))
    return hashlib.sha256(text.encode()).hexdigest()


def case_key(case: dict[str, Any]) -> tuple[str, str]:
    """Which case it is across nights: the product and the question (the answer may change)."""
    return case["product_name"], case["question"]


def stale_references(
    tonight: list[dict[str, Any]], earlier: list[list[dict[str, Any]]]
) -> set[tuple[str, str]]:
    """Cases whose product's catalog text changed after the case itself last changed.

    Each night keeps its cases with `case_hash` and the product's `product_hash` then;
    `earlier` is the nights before tonight, oldest first. For each case, walk back through
    the nights while it reads the same (nights without it are passed over): the product hash
    on the oldest of those nights is the product as the case's author last saw it. A case
    seen only tonight is not flagged: nothing says it predates the product's change.
    """
    stale = set()
    for case in tonight:
        key, seen_as = case_key(case), None
        for night in reversed(earlier):
            then = next((c for c in night if case_key(c) == key), None)
            if then is None:
                continue
            if then["case_hash"] != case["case_hash"]:
                break
            seen_as = then["product_hash"]
        if seen_as is not None and seen_as != case["product_hash"]:
            stale.add(key)
    return stale


def model_drift(
    models_root: Any, kb_state_root: Any, version: str | None, kb_manifest: str | None
) -> Drift | None:
    """Drift between the catalog `version` was trained on and the Knowledge Base's manifest
    `kb_manifest`; None when either is unknown (the base model, no sync yet)."""
    from tailor.finetune.registry import trained_on
    from tailor.kb_sync import load_manifest

    snapshot = trained_on(models_root, version)
    before = snapshot and load_manifest(kb_state_root, snapshot)
    after = kb_manifest and load_manifest(kb_state_root, kb_manifest)
    return drift(before.products, after.products) if before and after else None


def staleness_line(summaries: list[dict[str, Any]], drifted: Drift | None) -> str | None:
    """The night's staleness in one sentence, the fine-tuned approaches first; None when
    there is nothing to compare (no fine-tuned model, or no product changed)."""
    if drifted is None or not drifted.names:
        return None
    order = {"fine_tuned": 0, "hybrid": 1}
    parts = []
    for s in sorted(summaries, key=lambda s: order.get(s["method"], 2)):
        metric = "llm_evaluator" if s.get("llm_evaluator_gap") is not None else "bert_score"
        gap = s.get(f"{metric}_gap")
        if gap is None:
            continue
        name = "panel score" if metric == "llm_evaluator" else "BERTScore"
        interval = f"95% CI {s[f'{metric}_gap_ci_low']:+.2f} to {s[f'{metric}_gap_ci_high']:+.2f}"
        how = f"{abs(gap):.2f} {'worse' if gap >= 0 else 'better'}"
        if not parts:
            n = len(drifted.names)
            parts.append(
                f"{s['method']} answers {how} ({name}, {interval}) on the {n} "
                f"product{'s' if n != 1 else ''} changed since its training"
            )
        else:
            parts.append(f"{s['method']} {how} ({interval})")
    return "Staleness: " + "; ".join(parts) if parts else None
