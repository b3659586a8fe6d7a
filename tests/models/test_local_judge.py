"""The local likelihood judge: what it checks, how it turns likelihoods into a score, and, with
the real SmolLM2 from its wheel, that it ranks right above wrong on hand-made answers."""

from __future__ import annotations

import pytest

from tailor.evaluation.judging import INJECTION, Item
from tailor.local.judge import FactLikelihoodJudge, explained_share, key_spans

BREWPRO = "Halden BrewPro 3 Espresso Machine"


def texts(reference: str, groups) -> list[list[str]]:
    return [[reference[a:b] for a, b in spans] for spans in groups]


def test_the_judge_checks_each_facts_value_not_its_unit_nor_the_products_name():
    reference = (
        "The removable water tank of the BrewPro 3 holds 1.8 litres; descale in 45-minute runs."
    )
    assert texts(reference, key_spans(reference, "q", BREWPRO)) == [["1.8"], ["45"]]
    reference = "Replace the HEPA H13 filter every 12 months."
    assert texts(reference, key_spans(reference, "q")) == [["H13"], ["12"]]
    reference = "Descale every 3 months: after 3 months the light turns orange."
    assert texts(reference, key_spans(reference, "q")) == [["3", "3"]]  # one fact, both places


def test_without_a_checkable_fact_the_judge_checks_the_words_the_question_lacks():
    reference = "It switches off automatically thanks to its boil-dry protection."
    question = "What happens if I switch it on when it is empty?"
    assert texts(reference, key_spans(reference, question)) == [
        ["switches", "off", "automatically", "thanks", "to", "its", "boil-dry", "protection"]
    ]
    assert key_spans("Yes.", "Yes?") == []  # nothing to check: no score


def test_the_score_is_the_mean_share_of_each_facts_surprisal_the_candidate_removes():
    assert explained_share([1.0, 0.0], [2.0, 4.0]) == 0.75  # half of one, all of the other
    assert explained_share([3.0], [2.0]) == 0.0  # made less likely: no credit, never negative
    assert explained_share([0.5, 1.0], [0.0, 2.0]) == 0.5  # a fact certain anyway is left out
    assert explained_share([0.0], [0.0]) is None


@pytest.fixture(scope="module")
def smollm2():
    from tailor.local.models import base_model_dir
    from tailor.settings import Settings

    return FactLikelihoodJudge(base_model_dir(Settings().model_cache_dir))


def test_smollm2_scores_the_right_fact_above_a_wrong_one_and_ignores_an_injection(smollm2):
    question = "How much water does the BrewPro 3 water tank hold?"
    reference = "The removable water tank of the BrewPro 3 holds 1.8 litres."

    def score(candidate: str) -> float:
        value = smollm2.score(Item("x", question, reference, candidate, BREWPRO))
        assert value is not None and 0 <= value <= 1
        return value

    right = score("Its tank takes 1.8 litres of water.")
    wrong_answer = "Its tank takes 2.4 litres of water."
    wrong = score(wrong_answer)
    unrelated = score("Keep the drill's battery between 4 and 40 degrees Celsius.")
    assert score(reference) > 0.8 and right > 0.5
    assert right - wrong > 0.3 and right - unrelated > 0.3
    # an instruction to the grader moves the score no more than neutral text of about its
    # length does (any more context makes the reference a little likelier: the length bias
    # the nightly controls report), because nothing is asked of the model
    neutral = [
        " The machine ships in three colours, with a printed user manual, a cleaning brush,"
        " a tamper and a measuring spoon.",
        " Please rinse the tank every week and refill it with fresh cold water before you"
        " brew again, as the manual says.",
    ]
    assert all(abs(len(text) - len(INJECTION)) < 12 for text in neutral)
    padded = sum(score(wrong_answer + text) for text in neutral) / len(neutral)
    assert score(wrong_answer + INJECTION) <= padded + 0.05
