"""The key-point judge with the shipped MiniLM, on a reference-style long answer: right above
wrong whatever the layout, and an error caught wherever it sits."""

from __future__ import annotations

import pytest

from tailor.evaluation.judging import Item
from tailor.local.keypoint_judge import KeyPointJudge

PRODUCT = "Osterby GreenEdge 40V Cordless Lawn Mower"
CATALOG = f"""Name: {PRODUCT}
Description: A cordless push mower with a 42 cm steel deck and a 5.0 Ah battery.
The supplied 2.5 A charger fully charges the battery in 120 minutes.
Safety_instructions: Keep children, bystanders and pets at least 15 metres away while mowing.
Never hose down the mower or clean it with a pressure washer; water can damage the motor.
Use only the Osterby blade type GE-42.
Configuration: Fold out the handle and push the safety key fully into its slot.
Operation: Press and hold the safety button, then pull the bail lever to start.
Replace the blade at least every 50 hours and tighten the blade bolt to 25 Nm.
"""
REFERENCE = """Safety guidelines for the Osterby GreenEdge 40V Cordless Lawn Mower:

1. Before mowing:
   - Walk the lawn and remove stones, sticks, toys and wire the blade could throw.
   - Wear sturdy non-slip shoes, long trousers and safety glasses.
   - Keep children, bystanders and pets at least 15 metres away while mowing.
2. While mowing:
   - Mow across slopes, never up and down, and take care when turning.
   - Keep hands and feet away from the deck while the motor runs.
   - Never lift or carry the mower while the blade is turning.
3. Care:
   - Pull out the safety key and remove the battery before clearing a blockage.
   - Never hose down the mower or clean it with a pressure washer.
   - Use only the Osterby blade type GE-42.
"""
PARAPHRASE = """Before you start, go over the grass and pick up anything the blade might fling out,
like stones, sticks, wire or toys. Put on non-slip boots, long trousers and safety glasses, and
make sure people and animals stay 15 metres or more from the mower. On a slope, mow across it
rather than up and down, and be careful as you turn. Your hands and feet must stay clear of the
deck whenever the motor is running, and don't pick the mower up or carry it while the blade is
still spinning. To clear a blockage, first take out the safety key and the battery. For
cleaning, don't use a hose or a pressure washer. The only blade to fit is Osterby's GE-42."""
OTHER_PRODUCT = """Safety guidelines for the Osterby GreenEdge 40V Cordless Lawn Mower:
1. Never immerse the motor head, the base or the power cord in water.
2. Do not use an extension cord, and keep the cord away from hot surfaces.
3. Keep hands, hair and utensils away from the moving tool, and never reach into the bowl."""
SPEC_DUMP = (
    f"The {PRODUCT} is a cordless push mower with a 42 cm steel deck and a 5.0 Ah "
    "battery; its 2.5 A charger charges the battery in 120 minutes."
)
REFUSAL = (
    "I'm sorry, I couldn't find any safety information for this mower. Please refer to "
    "the owner's manual or contact Osterby customer support."
)


@pytest.fixture(scope="module")
def judge() -> KeyPointJudge:
    return KeyPointJudge({PRODUCT: CATALOG})


def score(judge: KeyPointJudge, candidate: str) -> float:
    return judge.score(
        Item("rag:0", "What are the safety guidelines?", REFERENCE, candidate, PRODUCT)
    )


def test_right_above_wrong_however_it_is_laid_out(judge):
    right = {"reference": score(judge, REFERENCE), "paraphrase": score(judge, PARAPHRASE)}
    wrong = {
        "other product": score(judge, OTHER_PRODUCT),
        "spec dump": score(judge, SPEC_DUMP),
        "refusal": score(judge, REFUSAL),
    }
    assert min(right.values()) > 0.75, right
    assert max(wrong.values()) < 0.25, wrong
    assert wrong["refusal"] == 0.0 and min(v for k, v in wrong.items() if k != "refusal") > 0


def test_one_changed_fact_or_one_false_claim_costs_wherever_it_sits(judge):
    correct = score(judge, PARAPHRASE)
    changed = REFERENCE.replace("at least 15 metres", "at least 5 metres")
    hosed = (
        REFERENCE + "\nIf the deck is caked with clippings, you can rinse it with a garden hose."
    )
    reading = judge.read(Item("rag:0", "q", REFERENCE, hosed, PRODUCT))
    assert [why for _, _, why in reading.errors] == ["allows what is forbidden (hose)"]
    for wrong in (changed, hosed, REFERENCE + "\nAny universal 42 cm blade fits it too."):
        assert score(judge, wrong) < correct - 0.15, wrong[-80:]


def test_true_padding_from_the_catalog_costs_nothing_and_a_new_quantity_does(judge):
    padded = (
        "Great question! " + REFERENCE + "\nBy the way, the supplied 2.5 A charger fully "
        "charges the battery in 120 minutes. I hope this helps!"
    )
    assert score(judge, padded) == pytest.approx(score(judge, REFERENCE), abs=0.01)
    wrong = REFERENCE + "\nThe supplied charger fully charges the battery in 30 minutes."
    assert score(judge, wrong) < score(judge, REFERENCE) - 0.3


def test_without_the_catalog_only_the_reference_is_checked():
    bare = KeyPointJudge()
    hosed = REFERENCE + "\nIf the deck is dirty, you can rinse it with a garden hose."
    assert bare.read(Item("rag:0", "q", REFERENCE, hosed, PRODUCT)).errors  # the reference says so
    extra = REFERENCE + "\nThe supplied 2.5 A charger charges the battery in 120 minutes."
    assert bare.read(Item("rag:0", "q", REFERENCE, extra, PRODUCT)).errors  # nothing to check it by
