"""Local judges that score from likelihoods instead of writing a grade.

A tiny model cannot be trusted to write "7/10", but it can tell how predictable a text is.
The judge reads the reference answer as a restatement of the candidate, and of no answer
at all, and measures the reference's *key tokens* — its
checkable facts (`tailor.evaluation.facts`), or, when it has none, its words the question
does not already contain. The score is the share of their surprisal (negative log
likelihood) that the candidate removes: 1 when the candidate makes the reference's facts
certain, 0 when it makes them no more likely (or less likely) than nothing at all.

So a candidate scores high only by stating the reference's facts: an answer about another
product or another question, or one with changed numbers, removes little surprisal; an
instruction to the grader changes nothing, because nothing is asked of the model; and the
score cannot be unparseable.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from tailor.evaluation.facts import extract_facts
from tailor.evaluation.judging import Item

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,'\-]*[A-Za-z0-9]|[A-Za-z0-9]")

Span = tuple[int, int]


def key_spans(reference: str, question: str, product_name: str = "") -> list[list[Span]]:
    """What the judge checks, one group of spans per fact: each fact's value as the reference
    writes it ("1.8" of "1.8 litres", "H13"; a unit alone is not the fact); with no checkable
    fact, one group of the reference's words that the question does not already contain."""
    groups = []
    for fact in extract_facts(reference, product_name):
        value = fact.text if fact.kind == "code" else re.split(r"[\s\-]", fact.text)[0]
        spans = [
            (m.start(), m.start() + len(value))
            for m in re.finditer(re.escape(fact.text), reference)
        ]
        if spans:
            groups.append(spans)
    if groups:
        return groups
    asked = {w.lower() for w in _WORD.findall(question)}
    novel = [m.span() for m in _WORD.finditer(reference) if m.group(0).lower() not in asked]
    return [novel] if novel else []


def explained_share(with_candidate: list[float], without: list[float]) -> float | None:
    """The mean over the facts of the share of each one's surprisal (nats) that the candidate
    removes, each in [0, 1]; a fact that was certain anyway does not count."""
    pairs = [(w, b) for w, b in zip(with_candidate, without, strict=True) if b > 0]
    shares = [min(1.0, max(0.0, 1.0 - w / b)) for w, b in pairs]
    return round(sum(shares) / len(shares), 6) if shares else None


def restatement_prompt(question: str, candidate: str | None) -> str:
    """What the model reads before the reference answer, which it reads as a restatement of
    the candidate; no candidate ("(none)") is the baseline. Of the framings measured on the
    sample data ("support notes", "agent's draft", this), all separated the controls; this
    one's scores followed the fact score most closely on real answers."""
    answer = candidate if candidate is not None else "(none)"  # whole: errors sit anywhere
    return f"Question: {question}\nAnswer: {answer}\nThe same answer in other words:"


class FactLikelihoodJudge:
    """Scores an item by `explained_share` under one local causal LM (any family)."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        self._baseline: dict[tuple[str, str], list[float]] = {}

    @cached_property
    def _loaded(self):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.model_dir)
        model = AutoModelForCausalLM.from_pretrained(self.model_dir, dtype=torch.float32)
        return tokenizer, model.eval()

    def surprisal(self, prompt: str, target: str, groups: list[list[Span]]) -> list[float]:
        """Per group, the negative log likelihood (nats) of the tokens of `target` that
        overlap its spans, with `target` read after `prompt` and a space."""
        import torch

        tokenizer, model = self._loaded
        start = len(prompt) + 1
        encoded = tokenizer(f"{prompt} {target}", return_offsets_mapping=True, return_tensors="pt")
        ids = encoded["input_ids"][0]
        read: list[tuple[int, int]] = []  # (token position, group) of every token checked
        for i, (begin, end) in enumerate(encoded["offset_mapping"][0].tolist()):
            begin, end = begin - start, end - start
            if not i or end <= begin:  # the first token has no prediction; specials no text
                continue
            read += [
                (i, g)
                for g, spans in enumerate(groups)
                if any(begin < e and end > s for s, e in spans)
            ]
        totals = [0.0] * len(groups)
        if not read:
            return totals
        positions = sorted({i for i, _ in read})
        with torch.inference_mode():  # logits only where a checked token is predicted
            logits = model(
                encoded["input_ids"], logits_to_keep=torch.tensor([i - 1 for i in positions])
            ).logits[0]
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        row = {i: r for r, i in enumerate(positions)}
        for i, g in read:
            totals[g] -= float(log_probs[row[i], ids[i]])
        return totals

    def score(self, item: Item) -> float | None:
        groups = key_spans(item.reference, item.question, item.product_name)
        if not groups:
            return None
        baseline_key = (item.question, item.reference)
        if baseline_key not in self._baseline:
            self._baseline[baseline_key] = self.surprisal(
                restatement_prompt(item.question, None), item.reference, groups
            )
        with_candidate = self.surprisal(
            restatement_prompt(item.question, item.candidate), item.reference, groups
        )
        return explained_share(with_candidate, self._baseline[baseline_key])
