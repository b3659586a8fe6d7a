"""Why an approach wins or loses: retrieval, grounding and the anatomy of each weak answer.

Per answer: whether the question's product was retrieved and at which rank; how much of the
reference the retrieved context covers (could the model have answered from it?); how much of
the answer the context and the reference support; the facts in the answer that neither the
reference, the context nor the product's catalog text holds (quantities written with digits and
a unit, and codes, as the key-point judge counts a new fact: a number word is too loose). Points are
matched as the key-point judge matches them (`KeyPointJudge.coverage`), facts by value.

Each weak answer (the panel's score, or the fact score without one, below `min_score`, or a
contradicted fact) is then named by where it went wrong:

- ``retrieval_miss``: the product was not retrieved, or the context covers little of the
  reference (below `min_coverage`): the model was not given the answer;
- ``generation_miss``: the context covered the answer and the answer did not use it;
- ``stale_knowledge``: the fine-tuned model, no context, on a product changed since its
  training snapshot;
- ``knowledge_miss``: a model without context that did not know (base, or fine_tuned on an
  unchanged product);

otherwise ``correct``; ``unanswered`` where there is no answer, ``unscored`` where neither
score exists.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from tailor.evaluation.approaches import Approach
from tailor.evaluation.facts import extract_facts, written_out
from tailor.evaluation.metrics import present

KINDS = ("correct", "retrieval_miss", "generation_miss", "stale_knowledge", "knowledge_miss")


class Coverage(Protocol):
    def coverage(
        self, source: str, text: str, product_name: str, kinds: tuple[str, str]
    ) -> float | None: ...


@dataclass
class Diagnosis:
    retrieved: bool | None = None  # the product among the retrieved chunks; None: no retrieval
    retrieval_rank: int | None = None  # the rank of its first chunk (1 = top)
    context_coverage: float | None = None  # share of the reference the context covers
    context_support: float | None = None  # share of the answer the context supports
    reference_support: float | None = None  # share of the answer the reference supports
    unsupported_facts: list[str] = field(default_factory=list)  # stated, held by none of them
    anatomy: str = "unanswered"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def diagnose(
    row: Mapping[str, Any],
    approach: str,
    judge: Coverage,
    catalog: Mapping[str, str],
    min_score: float,
    min_coverage: float,
) -> Diagnosis:
    """One answer's diagnosis. `row`: the night's per-sample result (the answer with its panel
    and fact scores, `product_changed`); `catalog`: the synced products' texts by name."""
    uses_context = Approach(approach).uses_context
    product, reference = row.get("product_name", ""), row["ground_truth"]
    found = Diagnosis()
    if uses_context:
        products = row.get("chunk_products") or []
        found.retrieved = product in products
        found.retrieval_rank = products.index(product) + 1 if found.retrieved else None
        found.context_coverage = judge.coverage(
            reference, row.get("context") or "", product, ("reference", "context")
        )
    answer = row.get("llm_response")
    if answer is None:
        return found
    if uses_context:
        found.context_support = judge.coverage(
            answer, row.get("context") or "", product, ("answer", "context")
        )
    found.reference_support = judge.coverage(answer, reference, product, ("answer", "reference"))
    known = "\n".join([reference, row.get("context") or "", catalog.get(product, "")])
    held = {(f.kind, f.value) for f in extract_facts(known, product)}
    found.unsupported_facts = [
        f.text
        for f in extract_facts(answer, product)
        if (f.kind, f.value) not in held and (f.kind == "code" or written_out(f.text))
    ]
    found.anatomy = anatomy(row, approach, found, min_score, min_coverage)
    return found


def anatomy(
    row: Mapping[str, Any], approach: str, found: Diagnosis, min_score: float, min_coverage: float
) -> str:
    """Where a weak answer went wrong (the module's rule); `correct` when it is not weak."""
    score = row.get("llm_evaluator_score")
    if score is None:
        score = row.get("fact_recall")
    contradicted = bool(row.get("fact_contradiction"))
    if score is None and not contradicted:
        return "unscored"
    if not contradicted and score >= min_score:
        return "correct"
    if Approach(approach).uses_context:
        covered = found.context_coverage is not None and found.context_coverage >= min_coverage
        return "generation_miss" if found.retrieved and covered else "retrieval_miss"
    if Approach(approach).uses_endpoint and row.get("product_changed"):
        return "stale_knowledge"
    return "knowledge_miss"


def diagnose_rows(
    rows: list[dict[str, Any]],
    approach: str,
    judge: Coverage,
    catalog: Mapping[str, str],
    min_score: float,
    min_coverage: float,
) -> dict[str, Any]:
    """Each of an approach's rows gains its `diagnosis`; returns the night's figures."""
    diagnoses = [diagnose(row, approach, judge, catalog, min_score, min_coverage) for row in rows]
    for row, found in zip(rows, diagnoses, strict=True):
        row["diagnosis"] = found.to_dict()
    return night_diagnostics(diagnoses)


def night_diagnostics(diagnoses: list[Diagnosis]) -> dict[str, Any]:
    """An approach's night: hit@k and MRR of retrieval, mean coverage and support, the facts
    no source holds, and the anatomy's counts (`anatomy_<kind>`)."""

    def mean(values: list[float | None]) -> float | None:
        kept = present(values)
        return round(sum(kept) / len(kept), 4) if kept else None

    retrieving = [d for d in diagnoses if d.retrieved is not None]
    answered = [d for d in diagnoses if d.anatomy != "unanswered"]
    counts = Counter(d.anatomy for d in diagnoses)
    return {
        "retrieval_hit_rate": mean([float(d.retrieved) for d in retrieving]),
        "retrieval_mrr": mean(
            [1 / d.retrieval_rank if d.retrieval_rank else 0.0 for d in retrieving]
        ),
        "avg_context_coverage": mean([d.context_coverage for d in diagnoses]),
        "avg_context_support": mean([d.context_support for d in diagnoses]),
        "avg_reference_support": mean([d.reference_support for d in diagnoses]),
        "unsupported_facts": sum(len(d.unsupported_facts) for d in answered) if answered else None,
        **{f"anatomy_{kind}": counts.get(kind, 0) for kind in KINDS},
    }


def retrieval_misses(rows: Mapping[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Each question whose context missed (an approach's `retrieval_miss`), once, with the
    products and chunks retrieved instead: rag and hybrid share one retrieval."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for approach, answers in rows.items():
        for row in answers:
            if (row.get("diagnosis") or {}).get("anatomy") != "retrieval_miss":
                continue
            key = (row["product_name"], row["input_text"])
            if key in found:
                found[key]["approaches"] += f", {approach}"
                continue
            diagnosis = row["diagnosis"]
            found[key] = {
                "approaches": approach,
                "product_name": key[0],
                "question": key[1],
                "retrieved_instead": ", ".join(
                    f"{p} ({c})"
                    for p, c in zip(
                        row.get("chunk_products") or [], row.get("chunk_ids") or [], strict=False
                    )
                ),
                "context_coverage": diagnosis["context_coverage"],
            }
    return list(found.values())


def worst_answers(
    rows: Mapping[str, list[dict[str, Any]]],
    per_kind: int = 3,
) -> list[dict[str, Any]]:
    """The lowest-scored answers of each kind of miss, per approach (for the report)."""
    worst = []
    for approach, answers in rows.items():
        for kind in KINDS[1:]:
            missed = [r for r in answers if (r.get("diagnosis") or {}).get("anatomy") == kind]
            missed.sort(
                key=lambda r: (
                    r.get("llm_evaluator_score") is None,
                    r.get("llm_evaluator_score") or 0,
                )
            )
            worst += [
                {
                    "approach": approach,
                    "anatomy": kind,
                    "question": r["input_text"],
                    "answer": (r.get("llm_response") or "")[:300],
                    "panel_score": r.get("llm_evaluator_score"),
                    "unsupported_facts": ", ".join(r["diagnosis"]["unsupported_facts"]),
                }
                for r in missed[:per_kind]
            ]
    return worst


def anatomy_line(approach: str, summary: Mapping[str, Any]) -> str:
    """`rag: 5 correct, 2 retrieval misses, 1 generation miss` (kinds with none left out)."""
    parts = [
        f"{n} {_LABELS[kind][n != 1]}"
        for kind in KINDS
        if (n := summary.get(f"anatomy_{kind}") or 0)
    ]
    return f"{approach}: {', '.join(parts) or 'no scored answer'}"


_LABELS = {
    "correct": ("correct", "correct"),
    "retrieval_miss": ("retrieval miss", "retrieval misses"),
    "generation_miss": ("generation miss", "generation misses"),
    "stale_knowledge": ("stale knowledge", "stale knowledge"),
    "knowledge_miss": ("knowledge miss", "knowledge misses"),
}
