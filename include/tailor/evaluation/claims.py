"""Does one statement say the opposite of another about the same thing? Rules, no model.

Used on a reference point and the candidate piece aligned to it: a changed quantity or code
(`facts.check_facts`), a negation added or dropped, or a word swapped for its opposite
("clockwise" for "counter-clockwise", "cold" for "hot", "before" for "after"). The negation
and opposite rules need the two statements to be mostly the same words: a rewording may say
"only indoors" for "never outdoors" and mean the same.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from tailor.evaluation.facts import check_facts

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
NEGATIONS = frozenset(
    "not no never none nothing nor cannot can't don't doesn't didn't won't isn't aren't "
    "shouldn't mustn't without avoid".split()
)
_OPPOSITES = [
    ("clockwise", "counter-clockwise"), ("clockwise", "anticlockwise"),
    ("clockwise", "anti-clockwise"), ("clockwise", "counterclockwise"),
    ("hot", "cold"), ("warm", "cold"), ("on", "off"), ("left", "right"), ("up", "down"),
    ("above", "below"), ("before", "after"), ("open", "close"), ("opened", "closed"),
    ("lock", "unlock"), ("locked", "unlocked"), ("increase", "decrease"), ("more", "less"),
    ("maximum", "minimum"), ("max", "min"), ("higher", "lower"), ("high", "low"),
    ("inside", "outside"), ("indoors", "outdoors"), ("indoor", "outdoor"), ("wet", "dry"),
    ("always", "never"), ("front", "back"), ("front", "rear"), ("top", "bottom"),
    ("push", "pull"), ("enable", "disable"), ("connect", "disconnect"), ("insert", "remove"),
    ("tighten", "loosen"), ("fast", "slow"), ("long", "short"), ("first", "last"),
    ("plug", "unplug"), ("plugged", "unplugged"), ("full", "empty"), ("add", "remove"),
    ("start", "stop"), ("allowed", "forbidden"), ("safe", "unsafe"), ("light", "heavy"),
    ("hand", "dishwasher"), ("upright", "sideways"), ("horizontal", "vertical"),
    ("same", "different"), ("red", "green"), ("minimum", "maximum"), ("under", "over"),
    ("inward", "outward"), ("forward", "backward"), ("forwards", "backwards"),
]  # fmt: skip
OPPOSITE: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    OPPOSITE.setdefault(_a, set()).add(_b)
    OPPOSITE.setdefault(_b, set()).add(_a)
NEAR_COPY = 0.7  # share of the words two statements have in the same order: a near copy
SAME_TOPIC = 0.4  # ... enough shared words that their numbers are about the same thing


_IDIOMS = re.compile(r"\b(?:do not|don't|never) (?:forget|hesitate|miss)|\bnot only|\bno matter")


def _negated(part: list[str]) -> bool:
    """Whether a run of words negates something ("do not use"; not "don't forget")."""
    text = " ".join(part)
    return any(w in NEGATIONS for w in _IDIOMS.sub(" ", text).split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def contradicts(reference: str, candidate: str, product_name: str = "") -> str | None:
    """Why `candidate` says the opposite of `reference`, or None: a changed fact, or, where
    the two are near copies, an edit that adds or drops a negation or swaps a word for its
    opposite."""
    ref, cand = words(reference), words(candidate)
    matcher = SequenceMatcher(None, ref, cand, autojunk=False)
    shared = matcher.ratio()
    if shared >= SAME_TOPIC and check_facts(reference, candidate, product_name).contradicted:
        return "changed fact"
    if shared < NEAR_COPY:
        return None
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        removed, added = ref[i1:i2], cand[j1:j2]
        if _negated(removed) != _negated(added):
            return f"negation: {' '.join(removed) or '-'} -> {' '.join(added) or '-'}"
        for word in removed:
            if swapped := OPPOSITE.get(word, set()) & set(added):
                return f"{word} -> {swapped.pop()}"
    return None


_FLIPS = [  # an instruction turned into its opposite: the fact-altered control of a text
    (re.compile(r"\b(Never|never)\b"), lambda m: "Always" if m.group(1)[0].isupper() else "always"),
    (re.compile(r"\b([Dd]o) not\b"), lambda m: m.group(1)),
    (re.compile(r"\b([Dd]on't)\b"), lambda m: "Do" if m.group(1)[0] == "D" else "do"),
    (re.compile(r"\b(must|should|can) not\b"), lambda m: m.group(1)),
    (re.compile(r"\b(counter-?clockwise|anti-?clockwise)\b", re.I), lambda m: "clockwise"),
    (re.compile(r"\b(?<!-)(clockwise)\b", re.I), lambda m: "counter-clockwise"),
    (re.compile(r"\b(before)\b"), lambda m: "after"),
    (re.compile(r"\b(cold)\b"), lambda m: "hot"),
]  # fmt: skip


def alter_instructions(text: str, most: int = 3) -> str | None:
    """`text` with up to `most` instructions turned into their opposites ("never" made
    "always", "do not use" made "use", clockwise and counter-clockwise swapped), each in
    another line or sentence: the fact-altered control for an answer with no number or
    code to change. None when the text has no instruction to turn."""
    spans: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    sentence_of = [m.start() for m in re.finditer(r"(?:^|(?<=[.!?\n]))\s*\S", text)]
    for pattern, flip in _FLIPS:
        for match in pattern.finditer(text):
            sentence = max((s for s in sentence_of if s <= match.start()), default=0)
            if sentence in taken or any(a < match.end() and match.start() < b for a, b, _ in spans):
                continue
            taken.add(sentence)
            spans.append((match.start(), match.end(), flip(match)))
            if len(spans) == most:
                break
        if len(spans) == most:
            break
    altered = text
    for start, end, changed in sorted(spans, reverse=True):
        altered = altered[:start] + changed + altered[end:]
    return altered if spans else None
