"""Training sets built from the pinned catalog, never from the evaluation test set.

``instruction_tuning`` trains on question/answer pairs in the reference's template
("Answer the customer's question: {question}" -> "{answer}"), made from each product's
sections; ``domain_adaptation`` trains on the catalog text itself, as the reference does.
A slice of the pairs is held out for the gate, and any test question that is also a
training question (exactly, or nearly) stops the run before any job starts.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from tailor.catalog import Product
from tailor.testset import TestCase

PROMPT = "Answer the customer's question: {question}"
NEAR_DUPLICATE = 0.85


class Method(StrEnum):
    DOMAIN_ADAPTATION = "domain_adaptation"
    INSTRUCTION_TUNING = "instruction_tuning"


class TrainingDataError(ValueError):
    """Training data that must not reach a training job; the message says why."""


@dataclass(frozen=True)
class Pair:
    product_name: str
    question: str
    answer: str

    @property
    def prompt(self) -> str:
        return PROMPT.format(question=self.question)


@dataclass(frozen=True)
class TrainingSet:
    method: Method
    texts: list[str]  # domain adaptation: raw passages
    pairs: list[Pair]  # instruction tuning: prompt/completion pairs
    held_out: list[Pair]  # for the gate, never trained on

    @property
    def size(self) -> int:
        return len(self.texts) if self.method is Method.DOMAIN_ADAPTATION else len(self.pairs)

    @property
    def characters(self) -> int:
        return sum(map(len, self.texts)) + sum(len(p.prompt) + len(p.answer) for p in self.pairs)


QUESTIONS = {
    "Description": "What is the {name} and what are its main specifications?",
    "Safety_instructions": "What safety instructions apply to the {name}?",
    "Configuration": "How do I set up and configure the {name}?",
    "Operation": "How do I operate and maintain the {name}?",
}


def _sentences(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return " ".join(re.split(r"(?<=[.!?])\s+", flat)[:limit])


def catalog_pairs(products: list[Product], sentences: int = 4) -> list[Pair]:
    """One question per section of every product, answered from that section."""
    return [
        Pair(p.name, template.format(name=p.name), _sentences(p.sections[section], sentences))
        for p in products
        for section, template in QUESTIONS.items()
        if p.sections.get(section)
    ]


def _normalise(question: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", question.lower()).split())


def check_no_leak(pairs: list[Pair], test_cases: list[TestCase], threshold: float = NEAR_DUPLICATE):
    """Fail if any test question is, or nearly is, a training question."""
    train = {_normalise(p.question): p.question for p in pairs}
    leaks = []
    for case in test_cases:
        asked = _normalise(case.question)
        if asked in train:
            leaks.append(f"'{case.question}' (exact)")
            continue
        close = difflib.get_close_matches(asked, list(train), n=1, cutoff=threshold)
        if close:
            leaks.append(f"'{case.question}' ~ '{train[close[0]]}'")
    if leaks:
        raise TrainingDataError(
            f"{len(leaks)} test question(s) also appear in the training pairs, which would "
            "inflate every score: " + "; ".join(leaks[:5])
        )


def _held_out(pair: Pair, fraction: float) -> bool:
    digest = hashlib.sha256(pair.question.encode()).digest()
    return digest[0] / 256 < fraction


def build_training_set(
    method: Method,
    products: list[Product],
    test_cases: list[TestCase],
    extra_pairs: list[Pair] | None = None,
    held_out_fraction: float = 0.2,
    max_examples: int = 5000,
    max_characters: int = 5_000_000,
) -> TrainingSet:
    """Build, leak-check and size-check a training set; raise before any job can start."""
    pairs = catalog_pairs(products) + list(extra_pairs or [])
    check_no_leak(pairs, test_cases)
    held_out = [p for p in pairs if _held_out(p, held_out_fraction)]
    train_pairs = [p for p in pairs if not _held_out(p, held_out_fraction)]
    if method is Method.DOMAIN_ADAPTATION:
        training = TrainingSet(method, [p.text for p in products if p.text.strip()], [], held_out)
    else:
        training = TrainingSet(method, [], train_pairs, held_out)
    if training.size == 0:
        raise TrainingDataError(f"no {method} training examples: the pinned catalog is empty")
    if training.size > max_examples or training.characters > max_characters:
        raise TrainingDataError(
            f"training set too large: {training.size} examples, {training.characters:,} "
            f"characters (limits {max_examples}, {max_characters:,})"
        )
    return training
