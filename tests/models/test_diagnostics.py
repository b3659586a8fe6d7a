"""Retrieval and grounding diagnostics and the anatomy of weak answers, on a reference-style
long answer, with the shipped MiniLM (`KeyPointJudge.coverage`)."""

from __future__ import annotations

import pytest

from tailor.evaluation.diagnostics import (
    anatomy_line,
    diagnose,
    diagnose_rows,
    night_diagnostics,
    retrieval_misses,
    worst_answers,
)
from tailor.local.keypoint_judge import KeyPointJudge

PRODUCT, OTHER = "Osterby GreenEdge 40V Cordless Lawn Mower", "Halden QuickBlend Stand Mixer"
CATALOG = {
    PRODUCT: f"""Name: {PRODUCT}
Description: A cordless push mower with a 42 cm steel deck and a 5.0 Ah battery.
Safety_instructions: Remove stones, sticks, toys and wire from the lawn before mowing.
Wear sturdy non-slip shoes, long trousers and safety glasses.
Keep children, bystanders and pets at least 15 metres away while mowing.
Mow across slopes, never up and down.
Pull out the safety key and remove the battery before clearing a blockage.
Never hose down the mower or clean it with a pressure washer.
Use only the Osterby blade type GE-42.
""",
    OTHER: f"""Name: {OTHER}
Description: A 1,000 W stand mixer with a 5 litre stainless steel bowl.
Safety_instructions: Never immerse the motor head in water.
Keep hands, hair and utensils away from the beaters while the mixer runs.
Unplug the mixer before changing attachments.
""",
}
REFERENCE = """How to mow safely with the Osterby GreenEdge 40V Cordless Lawn Mower:

Step 1 - Prepare the lawn and yourself
   * Remove stones, sticks, toys and wire from the lawn before mowing.
   * Put on sturdy non-slip shoes, long trousers and safety glasses.
   * Children, bystanders and pets stay at least 15 metres away while you mow.
Step 2 - Mowing
   * On a slope, mow across it, never up and down.
Step 3 - Care and cleaning
   - Pull out the safety key and remove the battery before clearing a blockage.
   - Never hose down the mower or clean it with a pressure washer.
   - Use only the Osterby blade type GE-42.
"""
GOOD = """Clear the grass of stones, sticks, toys and wire first, and wear non-slip shoes, long
trousers and safety glasses. People and pets stay 15 metres or more away. Mow across a slope,
not up and down. Take out the safety key and the battery before you clear a blockage, never
use a hose or a pressure washer on it, and fit only the GE-42 blade."""
INVENTED = "Keep bystanders 30 metres away and charge the battery for 9 hours before mowing."


@pytest.fixture(scope="module")
def judge(embedder) -> KeyPointJudge:
    return KeyPointJudge(CATALOG, embedder)


def row(answer: str | None, products: list[str], score: float | None, **extra) -> dict:
    context = "\n\n".join(CATALOG[p] for p in products)
    return {
        "product_name": PRODUCT,
        "ground_truth": REFERENCE,
        "llm_response": answer,
        "context": context,
        "chunk_products": products,
        "llm_evaluator_score": score,
        "fact_recall": None,
        "fact_contradiction": 0.0,
        **extra,
    }


def test_retrieval_rank_coverage_and_support(judge):
    found = diagnose(row(GOOD, [OTHER, PRODUCT], 0.8), "rag", judge, CATALOG, 0.5, 0.5)
    assert found.retrieved and found.retrieval_rank == 2
    assert found.context_coverage > 0.7  # the context holds the reference's points
    assert found.context_support > 0.7 and found.reference_support > 0.7
    assert found.unsupported_facts == [] and found.anatomy == "correct"
    missed = diagnose(row(GOOD, [OTHER], 0.8), "rag", judge, CATALOG, 0.5, 0.5)
    assert missed.retrieved is False and missed.retrieval_rank is None
    assert missed.context_coverage < 0.3 and missed.context_support < 0.3
    assert missed.reference_support == pytest.approx(found.reference_support)


def test_facts_no_source_holds_are_counted(judge):
    found = diagnose(row(INVENTED, [PRODUCT], 0.1), "rag", judge, CATALOG, 0.5, 0.5)
    assert found.unsupported_facts == ["30 metres", "9 hours"]
    # a fact the catalog holds but the reference and the context do not is not invented
    true = diagnose(row("Its steel deck is 42 cm wide.", [], 0.2), "base", judge, CATALOG, 0.5, 0.5)
    assert true.unsupported_facts == [] and true.retrieved is None


@pytest.mark.parametrize(
    ("approach", "products", "score", "extra", "kind"),
    [
        ("rag", [OTHER], 0.1, {}, "retrieval_miss"),  # the product was not retrieved
        ("hybrid", [PRODUCT], 0.1, {}, "generation_miss"),  # it was, and the answer missed it
        ("rag", [PRODUCT], 0.9, {"fact_contradiction": 0.5}, "generation_miss"),  # a wrong fact
        ("fine_tuned", [], 0.1, {"product_changed": True}, "stale_knowledge"),
        ("fine_tuned", [], 0.1, {"product_changed": False}, "knowledge_miss"),
        ("base", [], 0.1, {}, "knowledge_miss"),
        ("base", [], None, {"fact_recall": 0.75}, "correct"),  # no panel: the fact score
        ("base", [], None, {}, "unscored"),
    ],
)
def test_anatomy(judge, approach, products, score, extra, kind):
    found = diagnose(row(INVENTED, products, score, **extra), approach, judge, CATALOG, 0.5, 0.5)
    assert found.anatomy == kind


def test_an_unanswered_question_is_not_diagnosed_as_wrong(judge):
    found = diagnose(row(None, [PRODUCT], None), "hybrid", judge, CATALOG, 0.5, 0.5)
    assert found.anatomy == "unanswered" and found.retrieved and found.context_support is None


def test_the_night_per_approach(judge):
    rows = [
        row(GOOD, [PRODUCT, OTHER], 0.8),
        row(GOOD, [OTHER, PRODUCT], 0.9),
        row(INVENTED, [OTHER], 0.1),
        row(None, [PRODUCT], None),
    ]
    night = night_diagnostics([diagnose(r, "rag", judge, CATALOG, 0.5, 0.5) for r in rows])
    assert night["retrieval_hit_rate"] == 0.75
    assert night["retrieval_mrr"] == pytest.approx((1 + 0.5 + 0 + 1) / 4, abs=1e-4)
    assert night["unsupported_facts"] == 2
    assert (night["anatomy_correct"], night["anatomy_retrieval_miss"]) == (2, 1)
    assert night["anatomy_generation_miss"] == night["anatomy_stale_knowledge"] == 0
    assert anatomy_line("rag", night) == "rag: 2 correct, 1 retrieval miss"
    assert anatomy_line("base", night_diagnostics([])) == "base: no scored answer"


def test_a_question_missed_by_rag_and_hybrid_is_listed_once_with_what_came_instead(judge):
    night = {
        approach: [
            row(INVENTED, [OTHER], 0.1, input_text="Safety?", chunk_ids=["halden-quickblend#0"]),
            row(GOOD, [PRODUCT], 0.9, input_text="Other?", chunk_ids=["mower#0"]),
        ]
        for approach in ("rag", "hybrid")
    }
    for approach, rows in night.items():
        diagnose_rows(rows, approach, judge, CATALOG, 0.5, 0.5)
    assert retrieval_misses(night) == [
        {
            "approaches": "rag, hybrid",
            "product_name": PRODUCT,
            "question": "Safety?",
            "retrieved_instead": f"{OTHER} (halden-quickblend#0)",
            "context_coverage": night["rag"][0]["diagnosis"]["context_coverage"],
        }
    ]
    worst = worst_answers(night)
    assert [(w["approach"], w["anatomy"]) for w in worst] == [
        ("rag", "retrieval_miss"),
        ("hybrid", "retrieval_miss"),
    ]
    assert worst[0]["unsupported_facts"] == "30 metres, 9 hours"
