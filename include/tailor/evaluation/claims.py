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
    ("clockwise", "counter-clockwise"),
    ("clockwise", "anticlockwise"),
    ("clockwise", "anti-clockwise"),
    ("clockwise", "counterclockwise"),
    ("hot", "cold"),
    ("warm", "cold"),
    ("on", "off"),
    ("left", "right"),
    ("up", "down"),
    ("above", "below"),
    ("before", "after"),
    ("open", "close"),
    ("opened", "closed"),
    ("lock", "unlock"),
    ("locked", "unlocked"),
    ("increase", "decrease"),
    ("more", "less"),
    ("maximum", "minimum"),
    ("max", "min"),
    ("higher", "lower"),
    ("high", "low"),
    ("inside", "outside"),
    ("indoors", "outdoors"),
    ("indoor", "outdoor"),
    ("wet", "dry"),
    ("always", "never"),
    ("front", "back"),
    ("front", "rear"),
    ("top", "bottom"),
    ("push", "pull"),
    ("enable", "disable"),
    ("connect", "disconnect"),
    ("insert", "remove"),
    ("tighten", "loosen"),
    ("fast", "slow"),
    ("long", "short"),
    ("first", "last"),
    ("plug", "unplug"),
    ("plugged", "unplugged"),
    ("full", "empty"),
    ("add", "remove"),
    ("start", "stop"),
    ("allowed", "forbidden"),
    ("safe", "unsafe"),
    ("light", "heavy"),
    ("hand", "dishwasher"),
    ("upright", "sideways"),
    ("horizontal", "vertical"),
    ("same", "different"),
    ("red", "green"),
    ("minimum", "maximum"),
    ("under", "over"),
    ("inward", "outward"),
    ("forward", "backward"),
    ("forwards", "backwards"),
    ("quick", "slow"),
    ("quickly", "slowly"),
    ("required", "optional"),
    ("mandatory", "optional"),
    ("damp", "dry"),
    ("two-stroke", "four-stroke"),
    ("upper", "lower"),
    ("raise", "lower"),
    ("raised", "lowered"),
    ("increase", "reduce"),
    ("increases", "decreases"),
    ("tightened", "loosened"),
    ("attach", "detach"),
    ("attached", "detached"),
    ("fasten", "unfasten"),
    ("fastened", "unfastened"),
    ("ahead", "behind"),
    ("rear-facing", "forward-facing"),
    ("above", "under"),
    ("over", "under"),
    ("inside", "outside"),
    ("in", "out"),
    ("enter", "exit"),
    ("fill", "drain"),
    ("filled", "drained"),
    ("open", "closed"),
    ("start", "finish"),
    ("least", "most"),
    ("lowest", "highest"),
    ("hottest", "coldest"),
    ("hot", "cool"),
    ("warm", "cool"),
    ("light", "dark"),
    ("wet", "dry"),
    ("clean", "dirty"),
    ("full", "half"),
    ("left-hand", "right-hand"),
    ("positive", "negative"),
    ("red", "black"),
    ("slow", "rapid"),
    ("daily", "weekly"),
    ("weekly", "monthly"),
    ("monthly", "yearly"),
]
OPPOSITE: dict[str, set[str]] = {}
for _a, _b in _OPPOSITES:
    OPPOSITE.setdefault(_a, set()).add(_b)
    OPPOSITE.setdefault(_b, set()).add(_a)
NEAR_COPY = 0.7  # share of the words two statements have in the same order: a near copy
SAME_TOPIC = 0.4  # ... enough shared words that their numbers are about the same thing
SMALL_EDIT = 3  # words: a negation added or dropped among at most this many is a flip


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
    edits = [
        (ref[i1:i2], cand[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]
    removed = [w for gone, _ in edits for w in gone]
    added = [w for _, new in edits for w in new]
    negating, other = (removed, added) if _negated(removed) else (added, removed)
    if _negated(removed) != _negated(added) and len(negating) <= SMALL_EDIT >= len(other) / 2:
        # a negation among a few words, not a clause added or dropped; "never" for "do not"
        # is no flip
        return f"negation: {' '.join(removed) or '-'} -> {' '.join(added) or '-'}"
    for gone, new in edits:
        for word in gone:
            if swapped := OPPOSITE.get(word, set()) & set(new):
                return f"{word} -> {swapped.pop()}"
    return None


# what a statement claims, for the conflict rule: the words it shares with another statement
STOPWORDS = frozenset(
    "a an the and or but if then so to of in on at for with from by as is are was were be "
    "been being it its this that these those you your yours we our us i me my he she they "
    "them their there here do does did done can could should would will may might must have "
    "has had up down out over under about into onto than too very just also only any all "
    "each every some more most less such other own same both few many much what which who "
    "whom when where why how one two three four five use used using make sure keep get let "
    "like know need want go going see look way well good great new first before after "
    "while during until again once because but however instead never always not no nor "
    "without yes which say says such".split()
)
PERMISSION = re.compile(  # a statement that allows something ("can be" alone is often harm)
    r"\byou (?:can|may)\b|\bmay be\b|\bcan (?:also|safely|still|even) be\b|"
    r"\b(?:is|are|it's|they're|it is|they are) (?:also |perfectly |completely |quite )?"
    r"(?:[\w-]+[ -])?(?:safe|fine|ok|okay|suitable|allowed|well suited|no problem)\b|"
    r"\bsuitable for\b|"
    r"\bsuited to\b|\bno (?:risk|need|problem)\b|\bsafely\b|\bgood (?:backup|choice|idea)\b",
    re.IGNORECASE,
)
PROHIBITION = re.compile(  # a statement that forbids something
    r"\bnever (?=[a-z])|\b(?:do not|don't|must not|mustn't|should not|shouldn't|cannot be|"
    r"can't be|may not|not suitable|not allowed|not intended|not for|not be)\b|\bonly\b",
    re.IGNORECASE,
)
_DENIED = re.compile(
    r"\b(?:not|never|cannot|can't|don't|doesn't|isn't|aren't)\W+(?:\w+\W+)?"
    r"(?:safe|suitable|allowed|fine|ok|be)\b",
    re.IGNORECASE,
)
_ONLY = re.compile(r"\bonly\b((?:\W+\w+){1,4})", re.IGNORECASE)  # and what it allows
_ANY = re.compile(
    r"\b(?:any|every|universal|other brands?|third-party)\b((?:\W+\w+){1,5})", re.IGNORECASE
)


def content(text: str, product_name: str = "") -> set[str]:
    """The words of `text` that say what it is about: no function words, no product name."""
    name = set(words(product_name))
    return {
        w.removesuffix("s")
        for w in words(text)
        if w not in STOPWORDS and w not in name and not w.isdigit() and len(w) > 2
    }


def conflicts(
    rule: str, claim: str, product_name: str = "", common: frozenset[str] = frozenset()
) -> str | None:
    """Why `claim` allows what `rule` forbids, or None: `rule` forbids (never, do not, must
    not), `claim` allows (you can, can be, is safe, suitable for) and they share a word they
    are about ("Never hose the deck down" against "you can rinse the deck with a garden
    hose"); `rule` allows only one thing and `claim` any or all; or one calls a thing non-X
    that the other calls X. Only meant for a statement and the few rules closest to it in
    meaning: what ties them is a word they share that is rare in the product's text (not in
    `common`), or two words. (Wider rules were measured and dropped: a negation's reach and an
    opposite word outside a near copy flagged correct rewordings more often than errors.)"""
    ruled, claimed = words(rule), words(claim)
    shared = content(rule, product_name) & content(claim, product_name)
    if not shared:
        return None
    if non := _non(claimed, ruled) or _non(ruled, claimed):
        return f"non-{non} against {non}"
    if SequenceMatcher(None, ruled, claimed, autojunk=False).ratio() >= NEAR_COPY:
        return None  # the rule itself, reworded at most
    about = ", ".join(sorted(shared)[:3])
    allowed = shared - {w.removesuffix("s") for w in _negated_words(claim)}
    tied = len(allowed) > 1 or bool(allowed - common)
    allows = PERMISSION.search(claim) and not (_DENIED.search(claim) or PROHIBITION.search(claim))
    if tied and allows and PROHIBITION.search(rule):
        return f"allows what is forbidden ({about})"
    only = {w for m in _ONLY.finditer(rule) for w in content(m.group(1), product_name)}
    if any(content(m.group(1), product_name) & only for m in _ANY.finditer(claim)):
        return f"any where only one is allowed ({about})"
    return None


def _negated_words(text: str) -> set[str]:
    """The words a negation in `text` governs ("you don't need to reach into the bowl":
    need, reach, bowl): a statement that says not to do a thing does not allow it."""
    governed: set[str] = set()
    for match in re.finditer(
        r"\b(?:not|never|no|don't|doesn't|cannot|can't|without)\b"
        r"((?:\W+\w+){1,6})",
        text.lower(),
    ):
        governed |= set(words(match.group(1)))
    return governed


def _non(these: list[str], those: list[str]) -> str | None:
    """A word of `these` that is non-X where `those` says X ("non-flammable", "flammable")."""
    return next((w[4:] for w in these if w.startswith("non-") and w[4:] in those), None)


_FLIPS = [  # an instruction turned into its opposite: the fact-altered control of a text
    (re.compile(r"\b(Never|never)\b"), lambda m: "Always" if m.group(1)[0].isupper() else "always"),
    (re.compile(r"\b([Dd]o) not\b"), lambda m: m.group(1)),
    (re.compile(r"\b([Dd]on't)\b"), lambda m: "Do" if m.group(1)[0] == "D" else "do"),
    (re.compile(r"\b(must|should|can) not\b"), lambda m: m.group(1)),
    (re.compile(r"\b(counter-?clockwise|anti-?clockwise)\b", re.I), lambda m: "clockwise"),
    (re.compile(r"\b(?<!-)(clockwise)\b", re.I), lambda m: "counter-clockwise"),
    (re.compile(r"\b(before)\b"), lambda m: "after"),
    (re.compile(r"\b(cold)\b"), lambda m: "hot"),
]


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


VERBATIM = 0.95  # a point copied this closely (share of words in order) is copied as it stands


def altered_copy(reference: str, piece: str, answer: str) -> str | None:
    """What an answer that copies the reference changed in this point (`piece`: the part of
    `answer` closest to it), or None: words of the point it replaced or dropped that the answer
    says nowhere ("propane" where it says "butane"; "stay seated" where it says "climb off").
    Only meaningful inside an answer that copies the reference: a faithful copy has no reason
    to alter one of its points; a rewording changes them all."""
    ref, cand = words(reference), words(piece)
    matcher = SequenceMatcher(None, ref, cand, autojunk=False)
    if not NEAR_COPY - 0.1 < matcher.ratio() < VERBATIM:
        return None
    said = set(words(answer))
    gone = [
        w
        for tag, i1, i2, _, _ in matcher.get_opcodes()
        if tag in ("replace", "delete")
        for w in ref[i1:i2]
        if w not in STOPWORDS and w not in said
    ]
    return f"copied with {' '.join(gone)} changed" if gone else None
