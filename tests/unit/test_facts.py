"""The fact score: facts read from reference answers, unit-aware, and wrong values caught."""

from __future__ import annotations

import pytest

from tailor.evaluation.facts import check_facts, extract_facts
from tailor.evaluation.panel import judged_rows

BREWPRO = "Halden BrewPro 3 Espresso Machine"
TANK = "The removable water tank of the BrewPro 3 holds 1.8 litres."


def kinds(text: str, product: str = "") -> list[tuple[str, float | str]]:
    return [(f.kind, f.value) for f in extract_facts(text, product)]


def test_a_wrong_number_is_a_contradiction_that_bertscore_would_miss():
    wrong = check_facts(TANK, "The BrewPro 3 water tank holds 2.4 litres.", BREWPRO)
    assert (wrong.facts, wrong.stated, wrong.contradicted) == (1, 0, 1)
    assert (wrong.recall, wrong.contradiction) == (0.0, 1.0)


@pytest.mark.parametrize(
    "answer",
    [
        "It holds 1.8 l.",
        "The tank takes 1800 ml of water.",
        "1,800 millilitres",
        "A 1.8-litre tank.",
        "It holds 1.8 liters of water.",
    ],
)
def test_the_same_quantity_in_other_units_is_stated(answer):
    check = check_facts(TANK, answer, BREWPRO)
    assert (check.recall, check.contradiction) == (1.0, 0.0)


def test_temperatures_in_fahrenheit_and_durations_in_other_units_match():
    reference = "Cook poultry to at least 60 degrees Celsius and hold it for at least 45 minutes."
    answer = "Heat it to 140 °F and keep it there for 0.75 hours."
    assert check_facts(reference, answer).recall == 1.0


def test_a_range_shares_its_unit_and_half_right_is_half_contradicted():
    reference = "Charge the batteries only between 4 and 40 degrees Celsius."
    assert kinds(reference) == [("temperature", 4.0), ("temperature", 40.0)]
    check = check_facts(reference, "Charge them between 5 and 40 °C.")
    assert (check.stated, check.contradicted) == (1, 1)


def test_an_omission_is_not_a_contradiction():
    reference = "Descale every 3 months, using the 45-minute descale programme."
    assert kinds(reference) == [("time", 3 * 2629800.0), ("time", 2700.0)]
    wrong = check_facts(reference, "Descale it every 6 months.")
    assert (wrong.stated, wrong.contradicted) == (0, 1)  # one wrong value, one omission
    assert check_facts(reference, "Descale it regularly.").contradicted == 0


def test_the_products_own_name_is_not_a_fact_about_it():
    product = "Halden DryZone 20 Dehumidifier"
    reference = "The DryZone 20 extracts up to 20 litres of water per day at 30 degrees Celsius."
    assert kinds(reference, product) == [("volume", 20.0), ("temperature", 30.0)]
    assert kinds("The Scout R7's 5,200 mAh battery", "Halden Scout R7 Robot Vacuum") == [
        ("charge", 5200.0)
    ]


def test_codes_and_counts_are_facts_and_another_code_is_no_contradiction():
    reference = "Replace the HEPA H13 filter every 12 months. Add SAE 10W-30 oil. Up to 4 cameras."
    assert kinds(reference) == [
        ("code", "H13"),
        ("code", "10W-30"),
        ("time", 31557600.0),
        ("count:camera", 4.0),
    ]
    check = check_facts(reference, "Use an h13 filter, every 1 year; 10W-40 oil; 5 cameras.")
    assert (check.stated, check.contradicted) == (2, 1)  # H13 and 1 year; 5 cameras is wrong


def test_a_long_reference_style_safety_answer():
    reference = (
        "Always place the machine on a dry, level surface. Never open the water tank lid while "
        "the steam wand is active. The group head and steam wand reach 95 degrees Celsius; do not "
        "touch them during or right after use. Unplug the machine before descaling. Keep at "
        "least 30 cm of free space around it, and let it cool for 20 minutes before moving it. "
    ) * 6  # ~2,400 characters, as the reference's long answers
    assert len(reference) > 2000
    assert kinds(reference) == [("temperature", 95.0), ("length", 0.3), ("time", 1200.0)]
    answer = "Let it cool for twenty minutes; the steam wand gets to 95 °C. Leave 25 cm around it."
    check = check_facts(reference, answer)
    assert (check.facts, check.stated, check.contradicted) == (3, 2, 1)  # 25 cm is wrong
    assert (check.recall, check.contradiction) == (0.666667, 0.333333)


def test_no_checkable_fact_or_no_answer_gives_no_score():
    assert check_facts("It switches off by itself.", "Yes.").recall is None
    rows = judged_rows(
        "rag",
        [
            {"ground_truth": TANK, "llm_response": None, "product_name": BREWPRO},
            {"ground_truth": TANK, "llm_response": "It holds 2.4 l.", "product_name": BREWPRO},
        ],
        [None, 0.86],
        {},
        set(),
    )
    assert [(r["fact_recall"], r["fact_contradiction"]) for r in rows] == [(None, None), (0.0, 1.0)]


# The reference's own answers are long, multi-section lists: their layout holds no fact.
LIST_SHAPED = """Safety guidelines for the Osterby KM-40 Stand Mixer:

1. Electrical safety:
   - Always plug the mixer into a grounded outlet.
   - Never immerse the motor base in water or any other liquid.
2. Handling the bowl and tools:
   a) Keep fingers, hair and utensils away from moving attachments.
   b) Switch off and unplug the KM-40 before changing tools (see step 4).
3. Cleaning:
   i. Let the motor cool down before wiping it (section 5.2 of the manual).
   ii. Wash the beaters by hand.
Step 4 – Store the mixer with the head locked down.
## 5 Care and maintenance
Manual revision 2024-05-01, updated March 2023.
"""


def test_list_markers_steps_sections_headings_and_dates_are_not_facts():
    assert kinds(LIST_SHAPED, "Osterby KM-40 Stand Mixer") == []
    # the same content as prose has no fact either, so both are n/a, not a score of layout
    prose = (
        "Plug the mixer into a grounded outlet, never immerse its base in water, keep "
        "fingers away from the attachments and unplug it before changing tools."
    )
    assert check_facts(LIST_SHAPED, prose, "Osterby KM-40 Stand Mixer").recall is None
    assert check_facts(LIST_SHAPED, LIST_SHAPED, "Osterby KM-40 Stand Mixer").recall is None


def test_facts_inside_a_list_are_still_facts_and_the_list_numbers_are_not():
    reference = "1. Fill the tank to 1.8 litres.\n2. Descale every 3 months.\n3) Wait 30 seconds."
    assert kinds(reference) == [("volume", 1.8), ("time", 3 * 2629800.0), ("time", 30.0)]
    renumbered = "4. Fill the tank to 1.8 litres.\n7. Descale every 3 months.\n9) Wait 30 seconds."
    check = check_facts(reference, renumbered)
    assert (check.recall, check.contradicted) == (1.0, 0)
    assert check_facts(reference, "Descale every 6 months.").contradicted == 1


def test_a_code_of_the_products_name_is_no_fact_anywhere_but_a_quantity_in_it_is():
    assert kinds(
        "The R7 docks itself; the KM-40 bowl holds 4 litres.", "Halden Scout R7 Robot Vacuum"
    ) == [("code", "KM-40"), ("volume", 4.0)]
    assert kinds("Use only a 20 V battery.", "Halden ForgeDrive 20V Cordless Drill") == [
        ("voltage", 20.0)
    ]


def test_altering_facts_leaves_the_layout_alone_and_a_layout_only_answer_unaltered():
    from tailor.evaluation.facts import alter_facts

    assert alter_facts(LIST_SHAPED, "Osterby KM-40 Stand Mixer") is None
    assert alter_facts("1. Fill the tank to 1.8 litres.\n2. Wait.") == (
        "1. Fill the tank to 3.6 litres.\n2. Wait."
    )
