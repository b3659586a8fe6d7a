"""Do the diagnostics name what people see? `tailor.evaluation.diagnostics` on a graded set.

The graded set (`bench/graded/`, see `judge_agreement.py`) has no retrieval of its own, so each
question is given two contexts built from the catalogs the set names: its own product's
catalog text and another product's (the next product of the same catalog). Per answer it runs
`diagnose` as `summarize` does (the key-point judge as the panel) and prints, on the half asked
for (the report half by default: the anatomy's thresholds were set before it was graded):

- the weak-answer rule (`anatomy_min_score`, a contradicted fact), and the same rule with an
  unsupported fact counted as weak too, against people's "weak"
  (a grade below 5): agreement and Cohen's kappa, and the share called weak per kind;
- the context coverage of the reference by its own product's text against another product's
  (the retrieval-miss signal): the share of questions where the own product covers more;
- support of the answer by the reference, and answers with a fact no source holds, per kind
  (a false claim or a changed fact should be flagged; a paraphrase should not);
- seconds per answer on this machine.

    python bench/diagnostics_graded.py                 # report half
    python bench/diagnostics_graded.py --half tune
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

from judge_agreement import DEFAULT_GRADED, KINDS, load

from tailor.evaluation.diagnostics import diagnose
from tailor.evaluation.facts import check_facts
from tailor.evaluation.judging import Item
from tailor.evaluation.review import cohen_kappa
from tailor.settings import Settings

WEAK_GRADE = 5  # a person's "weak": below 5 of 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graded", type=Path, default=DEFAULT_GRADED)
    parser.add_argument("--half", choices=["tune", "report", "all"], default="report")
    args = parser.parse_args()
    from tailor.local.keypoint_judge import KeyPointJudge

    answers, catalog = load(args.graded, args.half)
    names = list(catalog)
    other = {name: names[(i + 1) % len(names)] for i, name in enumerate(names)}
    judge = KeyPointJudge(catalog)
    settings = Settings()
    print(
        f"{args.graded} ({args.half}): {len(answers)} answers to "
        f"{len({a.question for a in answers})} questions"
    )
    judge.score(
        Item(
            "warm",
            answers[0].question,
            answers[0].reference,
            answers[0].candidate,
            answers[0].product_name,
        )
    )  # the embedder loads outside the timing
    started = time.perf_counter()
    found, own_beats_other = [], {}
    for a in answers:
        panel = judge.score(Item("x", a.question, a.reference, a.candidate, a.product_name))
        facts = check_facts(a.reference, a.candidate, a.product_name)
        row = {
            "product_name": a.product_name,
            "ground_truth": a.reference,
            "input_text": a.question,
            "llm_response": a.candidate,
            "context": catalog.get(a.product_name, ""),
            "chunk_products": [a.product_name],
            "llm_evaluator_score": panel,
            "fact_recall": facts.recall,
            "fact_contradiction": facts.contradiction,
        }
        diagnosis = diagnose(
            row, "rag", judge, catalog, settings.anatomy_min_score, settings.anatomy_min_coverage
        )
        found.append(diagnosis)
        if a.question not in own_beats_other and a.product_name in other:
            wrong = judge.coverage(
                a.reference,
                catalog[other[a.product_name]],
                a.product_name,
                ("reference", "context"),
            )
            own_beats_other[a.question] = (diagnosis.context_coverage or 0) > (wrong or 0)
    seconds = (time.perf_counter() - started) / len(answers)

    people = [int(a.grade < WEAK_GRADE) for a in answers]
    rule = [int(d.anatomy != "correct") for d in found]
    agree = sum(p == r for p, r in zip(people, rule, strict=True))
    print(
        f"\nweak by the rule (panel < {settings.anatomy_min_score} or a contradicted fact) vs "
        f"weak by people (grade < {WEAK_GRADE}): {agree}/{len(answers)} agree "
        f"({agree / len(answers):.0%}), kappa {cohen_kappa(people, rule)}"
    )
    flagged = [int(d.anatomy != "correct" or bool(d.unsupported_facts)) for d in found]
    agree = sum(p == r for p, r in zip(people, flagged, strict=True))
    print(
        f"... or an unsupported fact: {agree}/{len(answers)} agree ({agree / len(answers):.0%}), "
        f"kappa {cohen_kappa(people, flagged)}"
    )
    print(
        f"context coverage: the question's own product covers more of the reference than "
        f"another product in {sum(own_beats_other.values())}/{len(own_beats_other)} questions"
    )
    by_kind = defaultdict(list)
    for a, d in zip(answers, found, strict=True):
        by_kind[a.kind].append((a, d))
    kinds = [k for k in KINDS if k in by_kind] + sorted(set(by_kind) - set(KINDS))
    print(
        f"\n{'kind':14} {'answers':>7} {'weak (people)':>14} {'weak (rule)':>12} "
        f"{'ref. support':>12} {'unsupported fact':>16}"
    )
    for kind in kinds:
        rows = by_kind[kind]
        support = [d.reference_support for _, d in rows if d.reference_support is not None]
        print(
            f"{kind:14} {len(rows):7d} "
            f"{sum(a.grade < WEAK_GRADE for a, _ in rows) / len(rows):14.0%} "
            f"{sum(d.anatomy != 'correct' for _, d in rows) / len(rows):12.0%} "
            f"{sum(support) / len(support) if support else 0:12.3f} "
            f"{sum(bool(d.unsupported_facts) for _, d in rows) / len(rows):16.0%}"
        )
    print(f"\n{seconds:.3f} s per answer (the judge's score and the diagnosis)")


if __name__ == "__main__":
    main()
