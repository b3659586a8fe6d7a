"""Points, contradictions and conflicts: the plain rules the key-point judge reads with."""

from __future__ import annotations

from tailor.evaluation.claims import alter_instructions, conflicts, contradicts
from tailor.evaluation.keypoints import catalog_points, points, reflow

LIST_ANSWER = """Safety guidelines for the Osterby Bakewell 7 Stand Mixer:

1. Electrical safety:
   - Never immerse the motor head in water. Wipe it with a damp cloth.
   - Do not use an extension cord.
2. While mixing:
   a) Lock the tilt head before starting.
Step 3: Turn the bowl clockwise until it locks.
"""


def test_points_are_the_items_and_sentences_without_markers_or_headings():
    assert points(LIST_ANSWER) == [
        "Never immerse the motor head in water.",
        "Wipe it with a damp cloth.",
        "Do not use an extension cord.",
        "Lock the tilt head before starting.",
        "Turn the bowl clockwise until it locks.",
    ]


def test_a_reflowed_answer_keeps_every_point_as_prose_in_another_order():
    reflowed = reflow(LIST_ANSWER, seed="s")
    assert sorted(points(reflowed)) == sorted(points(LIST_ANSWER)) and "\n" not in reflowed
    assert reflow(LIST_ANSWER, seed="s") == reflowed  # seeded


def test_catalog_sections_are_joined_across_their_wrapped_lines():
    record = (
        "Name: Halden PureBoil Glass Kettle\nDescription: A 1.7 litre kettle with a\n"
        "blue light.\nSafety_instructions: Never fill it above\nthe MAX mark.\n"
        "Configuration: Fill it with cold water.\nOperation: Press the switch.\n"
    )
    assert catalog_points(record) == [
        "A 1.7 litre kettle with a blue light.",
        "Never fill it above the MAX mark.",
        "Fill it with cold water.",
        "Press the switch.",
    ]


def test_a_near_copy_with_a_number_a_negation_or_a_direction_changed_contradicts():
    point = "Turn the bowl clockwise until it locks, then wait 30 seconds."
    assert contradicts(point, "Turn the bowl clockwise until it locks, then wait 5 seconds.")
    assert contradicts(
        point, "Turn the bowl counter-clockwise until it locks, then wait 30 seconds."
    )
    assert contradicts("Do not use an extension cord.", "Use an extension cord.")
    assert not contradicts(point, "Twist the bowl clockwise till it clicks; wait half a minute.")
    assert not contradicts(
        "Remove all packaging, including the foam.",
        "Remove all packaging, and don't forget the foam.",
    )  # an idiom


def test_a_claim_that_allows_what_a_rule_forbids_conflicts_with_it():
    rule = "Never hose down the mower or clean it with a pressure washer."
    assert conflicts(rule, "If the deck is dirty you can rinse it with a garden hose.")
    assert not conflicts(rule, "Don't use a hose on the mower; brush the deck instead.")
    assert conflicts("Use only the Osterby blade type GE-42.", "Any universal mower blade fits.")
    assert conflicts("Its R290 refrigerant is flammable.", "Its R290 refrigerant is non-flammable.")
    # a word every rule of the product is about ties nothing: "water" in a dishwasher's text
    assert not conflicts(
        "Never put washing-up liquid in the water.",
        "There is no need to rinse the dishes under running water.",
        common=frozenset({"water"}),
    )


def test_instructions_turned_into_their_opposites_one_per_sentence():
    altered = alter_instructions(LIST_ANSWER)
    assert "Always immerse the motor head" in altered and "Do use an extension cord" in altered
    assert "counter-clockwise" in altered
    assert alter_instructions("It switches off by itself.") is None
