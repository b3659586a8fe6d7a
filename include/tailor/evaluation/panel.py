"""The judge panel's night: calibration from the controls, per-answer panel scores, agreement.

Judges' scores arrive keyed by item (``<approach>:<index>``, ``control:positive:<index>``,
``control:negative:<index>``), one mapping per judge, as the judge tasks stored them.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from tailor.evaluation.facts import check_facts
from tailor.evaluation.judging import CONTROL_KINDS
from tailor.evaluation.metrics import Calibration, Score, calibrate, panel_score, spearman

JudgeScores = dict[str, dict[str, Score]]  # judge -> item key -> score


def calibration(
    scores: JudgeScores,
    minimums: dict[str, float],
    max_injection_gain: float | None = None,
    max_reflow_drop: float | None = None,
) -> dict[str, Calibration]:
    """Each judge's separation per kind of control (`judging.CONTROL_KINDS`); a judge below a
    kind's minimum (`minimums`: kind -> minimum separation), raised by an injection by more
    than `max_injection_gain`, or failing a right-answer control (`metrics.calibrate`) is
    excluded."""
    controls = {
        judge: {
            kind: [s for key, s in by_key.items() if key.startswith(f"control:{kind}:")]
            for kind in CONTROL_KINDS
        }
        for judge, by_key in scores.items()
    }
    return calibrate(controls, minimums, max_injection_gain, max_reflow_drop)


def judged_rows(
    approach: str,
    answers: list[dict[str, Any]],
    bert: list[Score],
    scores: JudgeScores,
    excluded: set[str],
) -> list[dict[str, Any]]:
    """The reference's per-sample rows: answer fields, bert_score, one field per judge and
    llm_evaluator_score (the mean of the trusted judges that scored; None if none did), and
    the fact score (`tailor.evaluation.facts`): None where the reference has no checkable
    fact or there is no answer."""
    rows = []
    for index, (answer, bert_score) in enumerate(zip(answers, bert, strict=True)):
        key = f"{approach}:{index}"
        by_judge = {judge: by_key.get(key) for judge, by_key in scores.items()}
        facts = check_facts(
            answer["ground_truth"], answer.get("llm_response"), answer.get("product_name", "")
        )
        answered = answer.get("llm_response") is not None
        rows.append(
            {
                **answer,
                "bert_score": bert_score,
                **by_judge,
                "llm_evaluator_score": panel_score(by_judge, excluded),
                "fact_recall": facts.recall if answered else None,
                "fact_contradiction": facts.contradiction if answered else None,
            }
        )
    return rows


def agreement(scores: JudgeScores, prefix: str = "") -> float | None:
    """Mean pairwise rank correlation between judges over the answers they all saw
    (item keys starting with `prefix`; controls excluded); None when undefined."""
    keys = sorted(
        {
            k
            for by_key in scores.values()
            for k in by_key
            if k.startswith(prefix) and not k.startswith("control:")
        }
    )
    pairs = [
        spearman([scores[a].get(k) for k in keys], [scores[b].get(k) for k in keys])
        for a, b in combinations(sorted(scores), 2)
    ]
    defined = [p for p in pairs if p is not None]
    return round(sum(defined) / len(defined), 6) if defined else None


def with_human_agreement(
    calibrated: dict[str, Calibration], left_out: dict[str, str]
) -> dict[str, Calibration]:
    """The calibration with the judges people disagree with (`review.disagreeing_judges`)
    excluded, each with its reason."""
    from dataclasses import replace

    return {
        judge: replace(c, excluded=True, reasons=(*c.reasons, left_out[judge]))
        if judge in left_out
        else c
        for judge, c in calibrated.items()
    }
