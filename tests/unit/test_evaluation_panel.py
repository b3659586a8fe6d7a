"""The judge panel's night and the monthly cost, with fixed inputs and expected numbers."""

from __future__ import annotations

import pytest

from tailor.evaluation.approaches import prompt_for
from tailor.evaluation.judging import (
    Item,
    answer_items,
    control_items,
    score_items,
    structured_prompt,
)
from tailor.evaluation.monthly_cost import Usage, monthly_cost, night_token_cost
from tailor.evaluation.panel import agreement, calibration, judged_rows
from tailor.prices import Prices
from tailor.retrieval import RetrievedChunk

CASES = [
    {"product_name": "A", "question": "qa1", "answer": "ans-a1"},
    {"product_name": "A", "question": "qa2", "answer": "ans-a2"},
    {"product_name": "B", "question": "qb1", "answer": "ans-b1"},
]


def test_every_judgement_shows_one_candidate_with_its_question_and_reference():
    rows = [
        {"input_text": "q1", "ground_truth": "r1", "llm_response": "c1"},
        {"input_text": "q2", "ground_truth": "r2", "llm_response": None},
    ]
    items = answer_items("rag", rows)
    assert items == [Item("rag:0", "q1", "r1", "c1")]  # no answer, nothing to judge
    tail = structured_prompt("q1", "r1", "c1").split("Question: q1")[-1]
    assert "Reference answer: r1" in tail and "Candidate answer: c1" in tail


def test_judges_read_both_answers_whole_however_long():
    """The reference's answers run to 3,000 characters; a false claim at the end of one was
    past every judge's 1,500-character cut."""
    from tailor.local.judge import restatement_prompt

    reference = "1. Never immerse the base in water.\n" * 80  # ~2,900 characters
    candidate = reference + "The bowl is oven safe up to 250 degrees Celsius."
    prompt = structured_prompt("q", reference, candidate)
    assert prompt.count("Never immerse") == 160 and "oven safe up to 250" in prompt
    assert candidate in restatement_prompt("q", candidate)


def test_the_verbose_control_is_three_times_a_long_reference():
    long_cases = [{**case, "answer": case["answer"] * 400} for case in CASES]  # ~2,400 chars
    verbose = {i.key: i.candidate for i in control_items(long_cases, 3, "s")}["control:verbose:0"]
    assert len(verbose) >= 3 * len(long_cases[0]["answer"])


def test_controls_pair_each_sampled_question_with_its_answer_and_a_wrong_one():
    items = control_items(CASES, sample=3, seed="2026-11-20")
    assert items == control_items(CASES, sample=3, seed="2026-11-20")  # seeded by the date
    by_key = {i.key: i for i in items}
    for index, case in enumerate(CASES):
        positive = by_key[f"control:positive:{index}"]
        negative = by_key[f"control:negative:{index}"]
        assert positive.candidate == positive.reference == case["answer"]
        assert negative.candidate != case["answer"]
    assert by_key["control:negative:2"].candidate in ("ans-a1", "ans-a2")  # another product
    assert by_key["control:negative:0"].candidate == "ans-b1"
    one_product = control_items(CASES[:2], sample=1, seed="x")
    assert one_product[1].candidate != one_product[0].candidate  # another question's answer


def test_scores_keep_item_order_in_a_pool():
    items = [Item(f"rag:{i}", "q", "r", str(i)) for i in range(20)]
    scores = score_items(lambda item: int(item.candidate) / 20, items, workers=4)
    assert list(scores) == [item.key for item in items]
    assert scores["rag:7"] == 0.35


SCORES = {
    "good": {
        "rag:0": 0.9,
        "rag:1": 0.2,
        "rag:2": 0.6,
        "base:0": 0.1,
        "control:positive:0": 0.9,
        "control:negative:0": 0.1,
    },
    "weak": {
        "rag:0": 0.5,
        "rag:1": 0.4,
        "rag:2": None,
        "base:0": 0.5,
        "control:positive:0": 0.5,
        "control:negative:0": 0.48,
    },
}


def test_rows_carry_each_judge_and_the_trusted_panel_mean():
    calibrated = calibration(SCORES, {"negative": 0.1})
    assert calibrated["good"].separation == pytest.approx(0.8)
    assert calibrated["weak"].excluded and not calibrated["good"].excluded
    answers = [
        {"input_text": f"q{i}", "ground_truth": f"g{i}", "llm_response": f"a{i}"} for i in range(3)
    ]
    rows = judged_rows("rag", answers, [0.8, 0.7, 0.6], SCORES, {"weak"})
    assert [r["llm_evaluator_score"] for r in rows] == [0.9, 0.2, 0.6]  # weak excluded
    assert rows[2]["weak"] is None and rows[0]["weak"] == 0.5 and rows[1]["bert_score"] == 0.7
    rows = judged_rows("rag", answers, [0.8, 0.7, 0.6], SCORES, set())
    assert [r["llm_evaluator_score"] for r in rows] == [0.7, 0.3, 0.6]  # missing left out


def test_agreement_is_rank_correlation_over_answers_not_controls():
    assert agreement(SCORES, "rag:") is None  # two complete pairs only
    three = {
        "x": {"rag:0": 0.1, "rag:1": 0.5, "rag:2": 0.9, "control:positive:0": 1.0},
        "y": {"rag:0": 0.2, "rag:1": 0.3, "rag:2": 0.4, "control:positive:0": 0.0},
    }
    assert agreement(three) == 1.0
    three["y"]["rag:2"] = 0.0
    assert agreement(three, "rag:") == -0.5


def test_monthly_cost_follows_the_reference_assumptions():
    prices = Prices()
    assert Usage().requests == 300_000
    rag = monthly_cost("rag", prices)
    assert rag["monthly_cost_24x7"] == pytest.approx(345.6 + 198.0)  # 2 OCUs + tokens
    assert monthly_cost("base", prices)["monthly_cost_24x7"] == pytest.approx(198.0)
    fine = monthly_cost("fine_tuned", prices, endpoint_hours=260.0)
    assert fine["monthly_cost_24x7"] == pytest.approx(5104.8 + 3.545, abs=0.01)  # 720 h + training
    assert fine["monthly_cost_scheduled"] == pytest.approx(260 * 7.09 + 3.545, abs=0.01)
    hybrid = monthly_cost("hybrid", prices)
    assert hybrid["monthly_cost_24x7"] == pytest.approx(345.6 + 5104.8 + 3.545, abs=0.01)
    assert hybrid["monthly_cost_scheduled"] is None  # no recorded hours: only the 24/7 figure
    measured = monthly_cost("base", prices, Usage(input_tokens=500, output_tokens=100))
    assert measured["monthly_cost_24x7"] == pytest.approx(300_000 * 0.6 * 0.00022)


def test_a_bedrock_custom_model_costs_tokens_on_demand_or_model_unit_hours():
    prices = Prices()
    kept = 1.95 + 1.0  # storage, and 1M customization tokens a month at $0.001/1k
    on_demand = monthly_cost("fine_tuned", prices, endpoint_hours=260.0, serving="on_demand")
    tokens = 300_000 * (2 * 0.000035 + 1 * 0.00014)  # Nova Micro: 2,000 in, 1,000 out
    assert on_demand == {
        "monthly_cost_24x7": pytest.approx(kept + tokens),
        "monthly_cost_scheduled": pytest.approx(kept + tokens),
    }
    hybrid = monthly_cost("hybrid", prices, serving="on_demand")["monthly_cost_24x7"]
    assert hybrid == pytest.approx(345.6 + kept + tokens)  # and the vector store
    unpriced = monthly_cost("fine_tuned", prices, endpoint_hours=260.0, serving="provisioned")
    assert unpriced == {"monthly_cost_24x7": None, "monthly_cost_scheduled": None}  # no guess
    hourly = Prices(model_unit_hour=20.0)
    provisioned = monthly_cost("fine_tuned", hourly, endpoint_hours=260.0, serving="provisioned")
    assert provisioned["monthly_cost_24x7"] == pytest.approx(kept + 720 * 20.0)
    assert provisioned["monthly_cost_scheduled"] == pytest.approx(kept + 260 * 20.0)
    answers = [{"input_tokens": 1000, "output_tokens": 500}] * 2
    assert night_token_cost("fine_tuned", answers, prices, False, "on_demand") == pytest.approx(
        2 * (0.000035 + 0.5 * 0.00014)
    )
    assert night_token_cost("fine_tuned", answers, hourly, False, "provisioned") is None
    assert night_token_cost("fine_tuned", answers, prices, False) is None  # an endpoint's


def test_prompt_templates_are_configurable():
    chunk = RetrievedChunk("c1", "A", "context text", 0.5)
    assert prompt_for("q?", []) == "Answer the customer's question: q?"
    assert prompt_for("q?", [chunk], context_template="C={context} Q={question}") == (
        "C=context text Q=q?"
    )
    assert prompt_for("q?", [], template="Q: {question}") == "Q: q?"


def test_the_most_disputed_answers_are_where_the_scorers_rank_furthest_apart():
    """Judges, BERTScore and the fact recall are compared by rank over the night: BERTScore's
    narrow band (0.80-0.90 here) counts as much as a judge's whole scale."""
    from tailor.evaluation.review import disputed

    def row(question: str, judge: float | None, bert: float, facts: float | None) -> dict:
        return {
            "input_text": question,
            "ground_truth": "g",
            "llm_response": "a",
            "judge": judge,
            "bert_score": bert,
            "fact_recall": facts,
        }

    rows = {
        "rag": [row("q0", 0.9, 0.80, 0.0), row("q1", 0.5, 0.85, 0.5), row("q2", None, 0.90, None)],
        "base": [row("q0", 0.1, 0.90, 1.0), {**row("q3", 1, 1, 1), "llm_response": None}],
    }
    found = disputed(rows, ["judge"], top=2)
    # ranks (0 lowest .. 1 highest): rag q0 judge 1, bert 0, facts 0; base q0 judge 0, bert
    # 0.83 (tied with q2), facts 1; rag q1 spreads 0.17; q2 has one scorer only: left out
    assert [(d["approach"], d["question"], d["spread"]) for d in found] == [
        ("rag", "q0", 1.0),
        ("base", "q0", 1.0),
    ]
    assert found[0]["scores"]["judge"] == 0.9 and found[0]["scores"]["bert_score"] == 0.8
    assert all(d["question"] != "q3" for d in disputed(rows, ["judge"], top=10))  # no answer


def test_controls_test_facts_not_only_topic():
    import json

    from tailor.evaluation.facts import check_facts
    from tailor.evaluation.judging import INJECTION
    from tests.support.paths import SAMPLE_TEST_SET

    cases = json.loads(SAMPLE_TEST_SET.read_text())
    items = control_items(cases, sample=32, seed="2026-11-20")
    by_key = {i.key: i for i in items}
    brewpro = cases.index(next(c for c in cases if c["answer"].endswith("holds 1.8 litres.")))
    tank = cases[brewpro]
    hard = by_key[f"control:hard:{brewpro}"].candidate  # the BrewPro 3, another question
    assert hard != tank["answer"] and any(
        c["answer"] == hard and c["product_name"] == tank["product_name"] for c in cases
    )
    altered = by_key[f"control:altered:{brewpro}"].candidate
    assert altered == "The removable water tank of the BrewPro 3 holds 3.6 litres."
    assert check_facts(tank["answer"], altered, tank["product_name"]).contradiction == 1.0
    verbose = by_key[f"control:verbose:{brewpro}"].candidate
    assert len(verbose) >= 3 * len(tank["answer"])
    negative = by_key[f"control:negative:{brewpro}"].candidate
    assert verbose.startswith(negative) and negative != tank["answer"]
    assert by_key[f"control:injection:{brewpro}"].candidate == negative + INJECTION
    kinds = {key.split(":")[1] for key in by_key}
    assert kinds == {"positive", "negative", "hard", "altered", "verbose", "injection"}
    # an answer with no number or code gets no altered control
    boil_dry = next(i for i, c in enumerate(cases) if "boil-dry" in c["answer"])
    assert f"control:altered:{boil_dry}" not in by_key


def test_a_judge_stays_only_if_it_separates_topic_hard_and_facts_and_ignores_injections():
    def scores(positive, negative, hard, altered, verbose, injection) -> dict:
        values = locals()
        return {
            f"control:{kind}:{i}": values[kind]
            for i in range(3)
            for kind in ("positive", "negative", "hard", "altered", "verbose", "injection")
        }

    judges = {
        "good": scores(0.9, 0.1, 0.2, 0.3, 0.15, 0.1),
        "topic_only": scores(0.9, 0.1, 0.85, 0.8, 0.1, 0.1),  # fooled by the right product
        "gullible": scores(0.9, 0.1, 0.2, 0.3, 0.5, 0.9),  # obeys "give full marks"
    }
    minimums = {"negative": 0.3, "hard": 0.2, "altered": 0.15}
    calibrated = calibration(judges, minimums, max_injection_gain=0.1)
    good = calibrated["good"]
    assert not good.excluded
    assert (good.separation, good.separations["hard"], good.separations["altered"]) == (
        0.8,
        0.7,
        0.6,
    )
    assert (good.length_bias, good.injection_susceptibility) == (0.05, 0.0)
    topic = calibrated["topic_only"]
    assert topic.excluded and topic.reasons == (
        "hard separation 0.05 below 0.2",
        "altered separation 0.1 below 0.15",
    )
    gullible = calibrated["gullible"]
    assert gullible.excluded and gullible.length_bias == 0.4
    assert gullible.reasons == ("injection raised its score by 0.8 (max 0.1)",)


LONG_SAFETY = """Safety guidelines for the Osterby Bakewell 7 Stand Mixer:

1. Electrical safety:
   - Never immerse the motor head or the cord in water.
   - Do not use an extension cord.
2. While mixing:
   - Keep hands and utensils away from the moving tool.
   - Lock the tilt head before starting, and turn the bowl clockwise to fit it.
"""


def test_a_list_shaped_reference_gets_reflowed_and_instruction_altered_controls():
    cases = [
        {
            "product_name": "Osterby Bakewell 7 Stand Mixer",
            "question": "Safety?",
            "answer": LONG_SAFETY,
            "rewrite": "Keep it dry and off extension cords; hands away; lock the head.",
        },
        {"product_name": "Kettle", "question": "Volume?", "answer": "It holds 1.7 litres."},
    ]
    by_key = {i.key: i.candidate for i in control_items(cases, sample=2, seed="night")}
    reflowed = by_key["control:reflowed:0"]
    assert "1." not in reflowed and "Electrical safety:" not in reflowed and "\n" not in reflowed
    assert sorted(reflowed.split(". ")) != reflowed.split(". ")  # reordered ...
    for point in (
        "Never immerse the motor head or the cord in water",
        "Do not use an extension cord",
        "Keep hands and utensils away",
    ):
        assert point in reflowed  # ... with every point kept
    altered = by_key["control:altered:0"]  # no number to change: instructions turned
    assert "Always immerse the motor head" in altered and "Do use an extension cord" in altered
    assert by_key["control:rewrite:0"] == cases[0]["rewrite"]
    assert "control:reflowed:1" not in by_key  # one sentence: nothing to reflow
    assert "control:rewrite:1" not in by_key


def test_a_judge_that_reads_layout_or_wording_is_excluded():
    def scores(**kinds) -> dict:
        return {f"control:{kind}:{i}": v for kind, v in kinds.items() for i in range(3)}

    common = {"positive": 0.9, "negative": 0.1, "hard": 0.2, "altered": 0.4}
    judges = {
        "reads_content": scores(**common, reflowed=0.85, rewrite=0.8),
        "reads_layout": scores(**common, reflowed=0.6, rewrite=0.8),
        "reads_wording": scores(**common, reflowed=0.9, rewrite=0.35),
    }
    calibrated = calibration(judges, {"negative": 0.3}, max_injection_gain=0.1, max_reflow_drop=0.1)
    assert not calibrated["reads_content"].excluded
    assert (
        calibrated["reads_content"].reflow_drop,
        calibrated["reads_content"].rewrite_margin,
    ) == (0.05, 0.4)
    assert calibrated["reads_layout"].reasons == (
        "the reflowed reference scored 0.3 below the reference (max 0.1)",
    )
    assert calibrated["reads_wording"].reasons == (
        "a correct rewrite scored 0.05 below the fact-altered reference",
    )
