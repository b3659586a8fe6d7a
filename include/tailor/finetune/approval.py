"""What a person sees before approving a promotion: the gate's evidence, in Markdown.

The Airflow UI shows it as the human-in-the-loop request's body: candidate against deployed
with the paired interval, a few answers side by side, and how far the catalog moved since the
deployed model was trained.
"""

from __future__ import annotations

from typing import Any

from tailor.evaluation.comparisons import paired_difference
from tailor.evaluation.staleness import Drift

SIDE_BY_SIDE = 3  # answers shown; every answer is in gate.json


def _clip(text: str | None, limit: int = 300) -> str:
    text = " ".join((text or "(no answer)").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def approval_body(gate: dict[str, Any], drifted: Drift | None, why: str) -> str:
    """The evidence for promoting the gate's candidate, from its ``gate.json``."""
    questions = gate["questions"]
    lines = [f"**Why trained:** {why}", f"**Gate:** {gate['reason']}"]
    deployed = gate.get("deployed_version")
    if gate.get("deployed_score") is not None:
        mean, low, high, n = paired_difference(
            [q["candidate_f1"] for q in questions], [q["deployed_f1"] for q in questions]
        )
        lines.append(
            f"**Candidate vs deployed {deployed}** ({gate['metric']}): "
            f"{gate['candidate_score']:.4f} vs {gate['deployed_score']:.4f}; paired difference "
            f"{mean:+.4f} (95% CI {low:+.4f} to {high:+.4f}) on {n} questions"
        )
    else:
        lines.append(
            f"**Candidate** ({gate['metric']}): {gate['candidate_score']:.4f}; "
            "nothing deployed to compare with"
        )
    if len(gate.get("candidates", [])) > 1:
        lines.append(f"**Sweep:** {gate['winner']['candidate']} won, {gate['winner_reason']}")
    moved = drifted.describe() if drifted else "unknown (no deployed model or lineage)"
    lines.append(f"**Catalog since the deployed model:** {moved}")
    lines.append("")
    for q in questions[:SIDE_BY_SIDE]:
        lines += [
            f"**Q:** {_clip(q['question'])}",
            f"- reference: {_clip(q['answer'])}",
            f"- candidate: {_clip(q['candidate'])}",
        ]
        if q.get("deployed") is not None:
            lines.append(f"- deployed: {_clip(q['deployed'])}")
    return "\n".join(lines)
