"""Do the scorers agree with people? Every scorer nightly_eval uses, on a graded set.

A graded set is JSON Lines, one answer a line: `question`, `product_name`, `reference`,
`candidate`, `kind`, `grade` (0-10, given before any scorer saw it); optionally `half`
("tune" or "report": the half a scorer was chosen on, and the half it is reported on) and
`catalog` (a catalog file, relative to the graded file, for scorers that read the product's
text). For each scorer (each local judge, the panel of the default local judges, the fact
recall and BERTScore F1, all configured as nightly_eval configures them) it prints Spearman with
the grades and its 95 % bootstrap interval over questions, the pairwise orderings a person
takes for granted (a correct answer in other words above the same answer with one fact changed
and above another product's answer; a refusal below everything), the mean score per kind and
the seconds per answer on this machine. The last line is `panel spearman X`.

    python bench/judge_agreement.py                      # bench/graded/graded.jsonl, report half
    python bench/judge_agreement.py --half tune          # the half the judges were chosen on
    python bench/judge_agreement.py --graded other.jsonl --half all
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from tailor.catalog import parse_catalog_text
from tailor.evaluation.agreement import (
    Graded,
    kind_of,
    lowest_share,
    pairwise_share,
    spearman_with_interval,
)
from tailor.evaluation.facts import check_facts
from tailor.evaluation.judging import Item
from tailor.evaluation.metrics import Score, panel_score
from tailor.settings import DEFAULT_JUDGES, LOCAL_JUDGES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_GRADED = REPO / "bench" / "graded" / "graded.jsonl"
PAIRS = [("paraphrase", "fact_changed"), ("paraphrase", "other_product")]
KINDS = [
    "paraphrase",
    "padded",
    "partial",
    "false_claim",
    "fact_changed",
    "spec_dump",
    "other_product",
    "refusal",
]


def load(path: Path, half: str) -> tuple[list[Graded], dict[str, str]]:
    """The graded answers of `half` ("all": every line), and the text of every product the
    file's catalogs hold (none when it names no catalog)."""
    answers, products, catalogs = [], {}, set()
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        record = json.loads(line)
        if half != "all" and record.get("half", half) != half:
            continue
        try:
            answers.append(
                Graded(
                    record["question"],
                    record["product_name"],
                    record["reference"],
                    record["candidate"],
                    kind_of(record["kind"]),
                    float(record["grade"]),
                )
            )
        except KeyError as missing:
            raise SystemExit(f"{path}:{number}: missing field {missing}") from None
        catalog = record.get("catalog")
        if catalog and catalog not in catalogs:
            catalogs.add(catalog)
            text = (path.parent / catalog).read_text()
            products.update({p.name: p.text for p in parse_catalog_text(text, catalog)})
    return answers, products


def local_judges(
    cache: Path, catalog: dict[str, str], judges=LOCAL_JUDGES
) -> dict[str, Callable[[Item], Score]]:
    """The local `judges` by id, each scoring one item (`catalog`: product texts)."""
    from tailor.local.judge import FactLikelihoodJudge
    from tailor.local.keypoint_judge import KeyPointJudge
    from tailor.local.models import base_model_dir, gemma_dir

    made = {
        "keypoints": lambda: KeyPointJudge(catalog).score,
        "smollm2": lambda: FactLikelihoodJudge(base_model_dir(cache)).score,
        "gemma3": lambda: FactLikelihoodJudge(gemma_dir(cache)).score,
    }
    return {judge: made[judge]() for judge in judges}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graded", type=Path, default=DEFAULT_GRADED)
    parser.add_argument("--half", choices=["tune", "report", "all"], default="report")
    parser.add_argument("--scores-out", type=Path, help="write every scorer's scores (JSON)")
    parser.add_argument(
        "--judges",
        nargs="+",
        choices=LOCAL_JUDGES,
        default=LOCAL_JUDGES,
        help="the local judges to run (default: all; the panel is the default "
        "local panel among them)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    cache = Path(os.environ.get("TAILOR_MODEL_CACHE") or tempfile.mkdtemp(prefix="tailor-judges-"))
    answers, products = load(args.graded, args.half)
    items = [
        Item(str(i), a.question, a.reference, a.candidate, a.product_name)
        for i, a in enumerate(answers)
    ]
    questions = len({a.question for a in answers})
    print(f"{args.graded} ({args.half}): {len(answers)} answers to {questions} questions")

    scores: dict[str, list[Score]] = {}
    seconds: dict[str, float] = {}
    for name, judge in local_judges(cache, products, args.judges).items():
        judge(items[0])  # the model loads outside the timing
        started = time.perf_counter()
        scores[name] = [judge(item) for item in items]
        seconds[name] = (time.perf_counter() - started) / len(items)
    panel = [n for n in DEFAULT_JUDGES["local"] if n in scores]
    scores["panel"] = [
        panel_score({n: scores[n][i] for n in panel}, set()) for i in range(len(items))
    ]
    seconds["panel"] = sum(seconds[n] for n in panel)
    started = time.perf_counter()
    scores["fact_recall"] = [
        check_facts(a.reference, a.candidate, a.product_name).recall for a in answers
    ]
    seconds["fact_recall"] = (time.perf_counter() - started) / len(items)
    from tailor.scoring import BertScorer

    scorer = BertScorer()
    scorer.load()
    started = time.perf_counter()
    scores["bertscore"] = scorer.f1([a.candidate for a in answers], [a.reference for a in answers])
    seconds["bertscore"] = (time.perf_counter() - started) / len(items)

    print(
        f"\n{'scorer':12} {'spearman':>8}  {'95% CI over questions':>22}  "
        + "  ".join(f"{b}>{w}" for b, w in PAIRS)
        + "  refusal lowest  s/answer"
    )
    for name, values in scores.items():
        rho, low, high = spearman_with_interval(answers, values)
        pairs = "  ".join(
            f"{_share(pairwise_share(answers, values, b, w)):>{len(b) + len(w) + 1}}"
            for b, w in PAIRS
        )
        lowest = _share(lowest_share(answers, values, "refusal"))
        missing = sum(v is None for v in values)
        print(
            f"{name:12} {_fmt(rho):>8}  {f'[{_fmt(low)}, {_fmt(high)}]':>22}  {pairs}  "
            f"{lowest:>14}  {seconds[name]:8.3f}" + (f"  ({missing} n/a)" if missing else "")
        )

    print("\nmean score by kind (human grade / 10 first)")
    kinds = [k for k in KINDS if any(a.kind == k for a in answers)]
    kinds += sorted({a.kind for a in answers} - set(kinds))
    print(f"{'':12} " + " ".join(f"{k[:12]:>12}" for k in kinds))
    by_kind: dict[str, list[int]] = defaultdict(list)
    for i, a in enumerate(answers):
        by_kind[a.kind].append(i)
    rows = {"human": [a.grade / 10 for a in answers], **scores}
    for name, values in rows.items():
        means = []
        for kind in kinds:
            present = [values[i] for i in by_kind[kind] if values[i] is not None]
            means.append(f"{sum(present) / len(present):12.3f}" if present else f"{'n/a':>12}")
        print(f"{name:12} " + " ".join(means))
    if args.scores_out:
        args.scores_out.write_text(json.dumps(scores))
    rho, _, _ = spearman_with_interval(answers, scores["panel"], resamples=0)
    print(f"\npanel spearman {_fmt(rho)}")


def _share(counts: tuple[int, int]) -> str:
    return f"{counts[0]}/{counts[1]}"


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    main()
