"""People in the loop: how far each scorer agrees with the grades people gave, and which
judges are left out for disagreeing (plain code; the review itself runs on the standalone)."""

from __future__ import annotations

from tailor.evaluation.metrics import Calibration
from tailor.evaluation.panel import with_human_agreement
from tailor.evaluation.review import cohen_kappa, disagreeing_judges, human_agreement


def graded(n: int) -> list[dict]:
    """`n` grades, oldest first: `follows` rises with the grade, `opposes` falls."""
    return [
        {
            "grade": i % 11,
            "follows": (i % 11) / 10,
            "opposes": 1 - (i % 11) / 10,
            "flat": 0.5 if i % 2 else 0.6,
            "bert_score": None,
        }
        for i in range(n)
    ]


def test_agreement_is_spearman_and_kappa_over_the_last_fifty_grades():
    found = human_agreement(graded(70), ["follows", "opposes", "bert_score"])
    assert found["follows"].grades == 50 and found["follows"].spearman == 1.0
    assert found["follows"].kappa == 1.0  # the same three bins throughout
    assert found["opposes"].spearman == -1.0 and found["opposes"].kappa < 0
    assert found["bert_score"].grades == 0 and found["bert_score"].spearman is None


def test_kappa_counts_agreement_beyond_chance():
    assert cohen_kappa([0, 1, 2, 2], [0, 1, 2, 2]) == 1.0
    assert cohen_kappa([0, 0, 2, 2], [0, 2, 0, 2]) == 0.0  # what chance alone gives
    assert cohen_kappa([1, 1], [1, 1]) is None and cohen_kappa([], []) is None


def test_a_judge_people_disagree_with_is_left_out_once_there_are_enough_grades():
    few = human_agreement(graded(19), ["opposes"])
    assert disagreeing_judges(few, minimum=0.5, min_grades=20) == {}  # too few to tell
    many = human_agreement(graded(30), ["follows", "opposes", "flat"])
    left_out = disagreeing_judges(many, minimum=0.5, min_grades=20)
    assert set(left_out) == {"opposes", "flat"}
    assert left_out["opposes"] == (
        "agrees with people at -1.0 (Spearman, last 30 grades; minimum 0.5)"
    )
    calibrated = {j: Calibration(j, 0.9, 0.1, 0.8, excluded=False) for j in ("follows", "opposes")}
    after = with_human_agreement(calibrated, left_out)
    assert not after["follows"].excluded and after["follows"].reasons == ()
    assert after["opposes"].excluded and after["opposes"].reasons == (left_out["opposes"],)
