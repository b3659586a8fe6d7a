"""How far a scorer agrees with people: rank correlation with human grades, with an interval
over questions, and the pairwise orderings a person takes for granted.

A graded set is one answer per record: its question, product, reference, candidate, kind
(`paraphrase`, `partial`, `fact_changed`, `other_product`, `refusal`, `spec_dump`,
`false_claim`, `padded`; other spellings in `KIND_ALIASES`) and a 0-10 grade given before any
scorer saw it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from tailor.evaluation.metrics import Score, spearman

KIND_ALIASES = {
    "correct_paraphrase": "paraphrase",
    "correct in other words": "paraphrase",
    "rewrite": "paraphrase",
    "correct_rewrite": "paraphrase",
    "one_fact_changed": "fact_changed",
    "one fact changed": "fact_changed",
    "altered": "fact_changed",
    "wrong_fact": "fact_changed",
    "another_product": "other_product",
    "another product's answer": "other_product",
    "wrong_product": "other_product",
    "padded_correct": "padded",
    "a padded correct answer": "padded",
    "reference_plus_false_claim": "false_claim",
    "added_false_claim": "false_claim",
}


def kind_of(label: str) -> str:
    label = label.strip().lower()
    return KIND_ALIASES.get(label, KIND_ALIASES.get(label.replace(" ", "_"), label))


@dataclass(frozen=True)
class Graded:
    question: str
    product_name: str
    reference: str
    candidate: str
    kind: str
    grade: float


def _interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    ordered = sorted(values)
    tail = (1 - confidence) / 2
    at = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return round(at(tail), 4), round(at(1 - tail), 4)


def spearman_with_interval(
    answers: Sequence[Graded], scores: Sequence[Score], resamples: int = 1000, seed: int = 0
) -> tuple[float | None, float | None, float | None]:
    """Spearman between scores and grades, with a bootstrap interval over questions (the
    answers to one question are not independent: they share its reference)."""
    grades = [a.grade for a in answers]
    rho = spearman(scores, grades)
    groups = list(_by_question(answers).values())
    rng = random.Random(seed)
    draws = []
    for _ in range(resamples):
        picked = [i for _ in groups for i in rng.choice(groups)]
        value = spearman([scores[i] for i in picked], [grades[i] for i in picked])
        if value is not None:
            draws.append(value)
    low, high = _interval(draws) if draws else (None, None)
    return rho, low, high


def pairwise_share(
    answers: Sequence[Graded], scores: Sequence[Score], better: str, worse: str
) -> tuple[int, int]:
    """In how many questions that have both kinds the `better` kind's answer scored strictly
    above the `worse` kind's, of how many (a missing score ranks nothing: not won)."""
    return _share(
        answers, scores, lambda i: answers[i].kind == better, lambda i: answers[i].kind == worse
    )


def lowest_share(answers: Sequence[Graded], scores: Sequence[Score], kind: str) -> tuple[int, int]:
    """In how many questions the `kind`'s answer scored strictly below every other answer."""
    return _share(
        answers, scores, lambda i: answers[i].kind != kind, lambda i: answers[i].kind == kind
    )


def _share(answers, scores, is_above, is_below) -> tuple[int, int]:
    won = asked = 0
    for indices in _by_question(answers).values():
        above = [scores[i] for i in indices if is_above(i)]
        below = [scores[i] for i in indices if is_below(i)]
        if above and below:
            asked += 1
            won += all(a is not None and b is not None and a > b for a in above for b in below)
    return won, asked


def _by_question(answers: Sequence[Graded]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, answer in enumerate(answers):
        groups[answer.question].append(i)
    return groups
