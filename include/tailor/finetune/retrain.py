"""Whether a catalog change (or a run of stale nights) is reason enough to fine-tune again.

Two rules, measured against the deployed model: the share of catalog products added or
changed since its training snapshot reaches `retrain_drift`, or its staleness gap
(`tailor.evaluation.staleness`) was significant on `retrain_on_stale_nights` nights in a row.
Neither fires again for a change a rejected candidate has already been trained on, so a
rejection is not followed by the same retraining on every sync or night.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tailor.evaluation.staleness import model_drift, significant_gap
from tailor.finetune.registry import latest_attempt, read_current
from tailor.kb_sync import last_synced


@dataclass(frozen=True)
class RetrainDecision:
    retrain: bool
    message: str
    reason: dict[str, Any] = field(default_factory=dict)  # recorded in the lineage


def stale_streak(history: list[dict[str, Any]], version: str, after: str | None) -> list[str]:
    """The latest nights in a row (dates) on which `version`'s fine_tuned answers had a
    significant staleness gap, counting only nights after the date `after`."""
    rows = sorted((r for r in history if r.get("method") == "fine_tuned"), key=lambda r: r["date"])
    streak: list[str] = []
    for row in reversed(rows):
        if (after and row["date"] <= after) or row.get("model_version") != version:
            break
        if not significant_gap(row):
            break
        streak.insert(0, row["date"])
    return streak


def decide_retrain(
    models_root: Any,
    kb_state_root: Any,
    history: list[dict[str, Any]],
    retrain_drift: float,
    retrain_on_stale_nights: int,
) -> RetrainDecision:
    """Apply both rules to the deployed model and the catalog as last synced."""
    current = read_current(models_root)
    if current is None:
        return RetrainDecision(
            False,
            "no fine-tuned model is deployed: the first fine-tune is "
            "started by the schedule or by hand",
        )
    version = current["version"]
    manifest, _ = last_synced(kb_state_root)
    drifted = manifest and model_drift(models_root, kb_state_root, version, manifest.hash)
    if not drifted:
        return RetrainDecision(
            False, f"the catalog {version} was trained on is not known: drift cannot be measured"
        )
    latest = latest_attempt(models_root)
    rejected = latest if latest and latest["version"] != version else None
    if drifted.share >= retrain_drift:
        since = rejected and model_drift(
            models_root, kb_state_root, rejected["version"], manifest.hash
        )
        if since and since.share < retrain_drift:
            return RetrainDecision(
                False,
                (
                    f"catalog drift since {version}'s training: {drifted.describe()}; "
                    f"but candidate {rejected['version']}, trained on a catalog within "
                    "retrain_drift of this one, was not promoted: not retraining on the same change"
                ),
            )
        return RetrainDecision(
            True,
            (
                f"catalog drift since {version}'s training: {drifted.describe()}, at or above "
                f"retrain_drift {retrain_drift:.0%}"
            ),
            {
                "trigger": "drift",
                "drift": drifted.share,
                "added": len(drifted.added),
                "changed": len(drifted.changed),
                "products": drifted.products,
                "retrain_drift": retrain_drift,
                "deployed_version": version,
                "catalog": manifest.hash,
            },
        )
    after = rejected and (rejected.get("recorded_at") or "")[:10] or None
    streak = stale_streak(history, version, after)
    if retrain_on_stale_nights and len(streak) >= retrain_on_stale_nights:
        nights = streak[-retrain_on_stale_nights:]
        return RetrainDecision(
            True,
            (
                f"{version}'s answers were significantly worse on changed products "
                f"{len(nights)} nights in a row ({', '.join(nights)})"
            ),
            {
                "trigger": "stale_nights",
                "nights": nights,
                "deployed_version": version,
                "drift": drifted.share,
                "retrain_on_stale_nights": retrain_on_stale_nights,
            },
        )
    return RetrainDecision(
        False,
        (
            f"catalog drift since {version}'s training: {drifted.describe()}, below retrain_drift "
            f"{retrain_drift:.0%}; {len(streak)} stale night(s) in a row of "
            f"{retrain_on_stale_nights or 'off'}: not retraining"
        ),
    )


def describe_reason(reason: dict[str, Any] | None) -> str:
    """A lineage's reason in a few words, for the page's promotion markers."""
    trigger = (reason or {}).get("trigger")
    if trigger == "drift":
        return (
            f"catalog drift {reason['drift']:.0%} ({reason['added']} added, "
            f"{reason['changed']} changed of {reason['products']})"
        )
    if trigger == "stale_nights":
        return f"stale {len(reason['nights'])} nights in a row (to {reason['nights'][-1]})"
    if trigger == "manual":
        return f"manual{' by ' + reason['by'] if reason.get('by') else ''}"
    return trigger or "reason not recorded"
