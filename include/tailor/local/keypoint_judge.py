"""A local judge that reads both answers whole, point by point, with the shipped MiniLM.

The reference is split into its points (`tailor.evaluation.keypoints`); each point is matched
to the closest piece of the candidate (a point or two neighbouring ones) by embedding
similarity, and counts as covered as far as the match is close and the point's facts (numbers,
codes) are stated. The score is the share of the reference's points the candidate covers, cut
for every error it makes (`tailor.evaluation.claims`): a covered point it contradicts (a near
copy with a number, a negation or a direction changed), a statement that allows what the
reference or the product's catalog text forbids, and a fact (a quantity or code) that neither
of them holds. So a correct answer in other words scores high, another product's answer or a
specification dump covers little, one changed fact or one added false claim costs a large
share of the score wherever it sits in a long answer, padding with true catalog details costs
nothing, and a refusal scores 0.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property

from tailor.evaluation.claims import VERBATIM, altered_copy, conflicts, content, contradicts, words
from tailor.evaluation.facts import check_facts, extract_facts, written_out
from tailor.evaluation.judging import Item
from tailor.evaluation.keypoints import catalog_points, context_points, points

MID, WIDTH = 0.5, 0.1  # similarity at which a point counts half covered, and the slope's width
ALIGNED = 0.55  # a piece this close to a point is about it: a contradiction counts
RULES = 3  # a statement is checked against the reference and catalog points closest to it ...
RULE_SIMILARITY = 0.4  # ... that are at least this close
ERROR_COST = 0.4  # share of the score each error takes
FACTLESS = 0.5  # how far a point counts covered by a match that states none of its facts
COPIED = 0.6  # an answer with this share of the reference's points copied word for word, ...
COPIED_WHOLE = 0.8  # ... or this close a copy of the whole reference (a one-point answer), ...
# ... copies it: a point it alters all the same is an error (`claims.altered_copy`)
_REFUSAL = re.compile(  # a piece that declines to answer, or sends the customer elsewhere
    r"\b(?:sorry|apologi[sz]e|apologies|unfortunately|i'm afraid|afraid i|(?:can't|cannot|"
    r"can not|unable to|not able to|wasn't able to|couldn't|could not) (?:help|answer|tell|say|"
    r"find|locate|provide|give|walk)|(?:don't|do not|doesn't) (?:have|know|cover)|"
    r"no (?:information|details|data)|not (?:sure|covered)|isn't (?:covered|in)|"
    r"outside what i|rather not guess|(?:check|consult|refer to|see|look at|follow) (?:the |your "
    r")?(?:[\w']+ ){0,3}(?:manual|guide|documentation|label|instructions)|(?:contact|reach out"
    r"|ask)(?:ing)? .{0,40}(?:support|service|dealer|electrician|installer|engineer)|"
    r"best (?:place|contact|bet))",
    re.IGNORECASE,
)
REFUSED = 0.5  # a candidate this much made of such pieces, covering little, is a refusal


@dataclass
class Reading:
    """What the judge found in one candidate (kept for the bench and the report)."""

    # per reference point: its closest candidate piece's similarity, and its facts stated
    matches: list[tuple[float, float]] = field(default_factory=list)
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (rule, statement, why)
    refusal: bool = False

    @property
    def coverage(self) -> float:
        """The mean over the reference's points of how far each is covered."""
        covered = [
            (FACTLESS + (1 - FACTLESS) * stated) * _sigmoid(similarity)
            for similarity, stated in self.matches
        ]
        return round(sum(covered) / len(covered), 6) if covered else 0.0

    @property
    def score(self) -> float:
        if self.refusal:
            return 0.0
        return round(self.coverage * (1 - ERROR_COST) ** len(self.errors), 6)


class KeyPointJudge:
    """Scores an item by `Reading.score`. `catalog` gives a product's catalog text by name (the
    synced snapshot's): without it, statements are checked against the reference only."""

    def __init__(self, catalog: dict[str, str] | None = None, embedder=None) -> None:
        self.catalog = catalog or {}
        self._embedder = embedder
        self._cache: dict[tuple[str, str], tuple[list[str], object]] = {}

    @cached_property
    def embedder(self):
        if self._embedder is not None:
            return self._embedder
        from tailor.local.embedding import MiniLMEmbedder

        return MiniLMEmbedder()

    def _embedded(self, kind: str, text: str):
        """The points of a text and their embeddings, computed once: a reference's or an
        answer's, a catalog record's, or a retrieved context's (`context_points`); a kind
        ending in `+windows` adds each pair of neighbouring points."""
        if (kind, text) not in self._cache:
            base, _, windows = kind.partition("+")
            split = {"catalog": catalog_points, "context": context_points}.get(base, points)
            found = split(text)
            if windows:  # each point and each pair of neighbouring points
                found += [f"{a} {b}" for a, b in zip(found, found[1:], strict=False)]
            self._cache[kind, text] = (found, self.embedder.embed(found) if found else None)
        return self._cache[kind, text]

    def coverage(
        self,
        source: str,
        text: str,
        product_name: str,
        kinds=("reference", "answer"),
    ) -> float | None:
        """How far `text` covers `source`'s points, as the judge counts a point covered (its
        closest piece of `text`, or two neighbouring ones, and its facts stated there),
        without the judge's errors or refusals; None when `source` has no point. `kinds`: how
        each is split (see `_embedded`)."""
        found, vectors = self._embedded(kinds[0], source)
        if not found:
            return None
        pieces, piece_vectors = self._embedded(f"{kinds[1]}+windows", text)
        if not pieces:
            return 0.0
        closest = (vectors @ piece_vectors.T).max(axis=1)
        stated = [_facts_stated(point, text, product_name) for point in found]
        return Reading([(float(c), s) for c, s in zip(closest, stated, strict=True)]).coverage

    def read(self, item: Item) -> Reading | None:
        reference, ref_vectors = self._embedded("reference", item.reference)
        if not reference:
            return None
        found = points(item.candidate)
        pieces = [p for p in found if not _REFUSAL.search(p)]
        if not pieces:
            return Reading(refusal=True)
        windows = [f"{a} {b}" for a, b in zip(pieces, pieces[1:], strict=False)]
        vectors = self.embedder.embed(pieces + windows)
        similarity = ref_vectors @ vectors.T  # reference point x candidate piece
        closest = similarity.max(axis=1)
        stated = [_facts_stated(point, item.candidate, item.product_name) for point in reference]
        reading = Reading([(float(c), s) for c, s in zip(closest, stated, strict=True)])
        if len(pieces) <= (1 - REFUSED) * len(found) and reading.coverage < REFUSED:
            return Reading(refusal=True)  # what is left is a greeting or the question again
        every = pieces + windows
        single = similarity[:, : len(pieces)]
        pairs = {
            (i, int(j)) for i, j in enumerate(similarity.argmax(axis=1)) if closest[i] >= ALIGNED
        }  # each point with the piece closest to it ...
        pairs |= {
            (int(i), j) for j, i in enumerate(single.argmax(axis=0)) if single[i, j] >= ALIGNED
        }  # ... and each piece with the point closest to it
        wrong: set[str] = set()
        for i, j in sorted(pairs):
            why = contradicts(reference[i], every[j], item.product_name)
            if why and every[j] not in wrong:
                wrong.add(every[j])
                reading.errors.append((reference[i], every[j], why))
        copies = [_closest_copy(point, every) for point in reference]
        copied = sum(ratio >= VERBATIM for ratio, _ in copies) >= COPIED * len(reference)
        if copied or _closest_copy(item.reference, [item.candidate])[0] >= COPIED_WHOLE:
            for point, (_, piece) in zip(reference, copies, strict=True):
                if piece not in wrong and (why := altered_copy(point, piece, item.candidate)):
                    wrong.add(piece)
                    reading.errors.append((point, piece, why))
        for rule, piece, why in self._rule_breaches(item, pieces, vectors[: len(pieces)]):
            if piece not in wrong:
                wrong.add(piece)
                reading.errors.append((rule, piece, why))
        return reading

    def _rule_breaches(self, item: Item, pieces: list[str], vectors):
        """Statements that allow what the reference or the catalog forbids, or state a fact
        that neither holds."""
        import numpy as np

        rules, rule_vectors = self._embedded("reference", item.reference)
        known = item.reference
        product = self.catalog.get(item.product_name, "")
        if product:
            catalog, catalog_vectors = self._embedded("catalog", product)
            rules = rules + catalog
            rule_vectors = np.vstack([rule_vectors, catalog_vectors])
            known += "\n" + product
        facts = {(f.kind, f.value) for f in extract_facts(known, item.product_name)}
        common = _common_words(rules, item.product_name)
        similarity = vectors @ rule_vectors.T
        for k, piece in enumerate(pieces):
            new = [
                f.text
                for f in extract_facts(piece, item.product_name)
                if (f.kind, f.value) not in facts and written_out(f.text)
            ]
            if new:
                yield "", piece, f"states {', '.join(new)}, which the product's text does not"
                continue
            for r in np.argsort(-similarity[k])[:RULES]:
                if similarity[k, r] >= RULE_SIMILARITY:
                    if why := conflicts(rules[r], piece, item.product_name, common):
                        yield rules[r], piece, why
                        break

    def score(self, item: Item) -> float | None:
        reading = self.read(item)
        return None if reading is None else reading.score


def _sigmoid(similarity: float) -> float:
    return 1 / (1 + math.exp(-(similarity - MID) / WIDTH))


def _facts_stated(point: str, candidate: str, product_name: str) -> float:
    """The share of a point's facts the candidate states anywhere (1 for a point without)."""
    recall = check_facts(point, candidate, product_name).recall
    return 1.0 if recall is None else recall


def _common_words(statements: list[str], product_name: str) -> frozenset[str]:
    """The words more than two of a product's statements are about: too common to tie a claim
    to one rule ("water" in a dishwasher's manual; not "bathroom")."""
    from collections import Counter

    counts = Counter(w for statement in statements for w in content(statement, product_name))
    return frozenset(w for w, n in counts.items() if n > 2)


def _closest_copy(point: str, pieces: list[str]) -> tuple[float, str]:
    """The piece (or two neighbouring ones) with most of the point's words in order."""
    from difflib import SequenceMatcher

    mine = words(point)
    return max((SequenceMatcher(None, mine, words(p), autojunk=False).ratio(), p) for p in pieces)
