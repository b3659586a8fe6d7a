"""A fact score that needs no model: does the answer state the reference answer's checkable
facts, and does it contradict them?

A fact is a quantity (a number with its unit, or with the thing it counts: "1.8 litres",
"45-minute", "4 cameras", "10 unlocks per day") or a part or model code ("H13", "10W-30").
Quantities are compared in base units, so "1.8 litres" = "1.8 l" = "1800 ml" and
"60 degrees Celsius" = "140 °F". "Per hour" and the like are not read: "500 litres per hour"
is 500 litres. A reference fact is *stated* when the answer has the same
quantity (or code), and *contradicted* when it is not stated but the answer gives another
value of the same kind ("2.4 litres" where the reference says 1.8). Numbers that belong to
the product's name ("BrewPro 3", "DryZone 20"; its codes, "R7", anywhere) are not facts about it,
and neither are the numbers of the answer's layout (`layout_spans`): list markers ("1.", "b)"),
step and section numbers ("Step 3", "see section 4.2"), numbers in headings and the dates of a
document. The reference's long answers are multi-section lists: counted as facts, their
enumerators made the fact score a score of layout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# surface form -> (kind, factor to the kind's base unit); longest forms are matched first
_UNITS: dict[str, tuple[str, float]] = {}


def _add(kind: str, factor: float, *forms: str) -> None:
    for form in forms:
        _UNITS[form] = (kind, factor)


_add("volume", 1.0, "l", "litre", "litres", "liter", "liters")
_add("volume", 0.001, "ml", "millilitre", "millilitres", "milliliter", "milliliters")
_add("volume", 0.01, "cl")
_add("volume", 0.1, "dl")
_add("volume", 1000.0, "cubic metre", "cubic metres", "cubic meter", "cubic meters", "m3", "m³")
_add("area", 1.0, "square metre", "square metres", "square meter", "square meters", "m2", "m²")
_add("length", 0.001, "mm", "millimetre", "millimetres", "millimeter", "millimeters")
_add("length", 0.01, "cm", "centimetre", "centimetres", "centimeter", "centimeters")
_add("length", 1.0, "m", "metre", "metres", "meter", "meters")
_add("length", 1000.0, "km", "kilometre", "kilometres", "kilometer", "kilometers")
_add("length", 0.0254, "inch", "inches")
_add("length", 0.3048, "ft", "foot", "feet")
_add("mass", 0.001, "g", "gram", "grams")
_add("mass", 1.0, "kg", "kilogram", "kilograms")
_add("mass", 0.45359237, "lb", "lbs", "pound", "pounds")
_add("time", 1.0, "s", "sec", "secs", "second", "seconds")
_add("time", 60.0, "min", "mins", "minute", "minutes")
_add("time", 3600.0, "h", "hr", "hrs", "hour", "hours")
_add("time", 86400.0, "day", "days")
_add("time", 604800.0, "week", "weeks")
_add("time", 2629800.0, "month", "months")
_add("time", 31557600.0, "year", "years")
_add("temperature", 1.0, "degrees celsius", "degree celsius", "°c", "ºc")
_add("angle", 1.0, "degree", "degrees", "°")
_add("power", 1.0, "w", "watt", "watts")
_add("power", 1000.0, "kw", "kilowatt", "kilowatts")
_add("energy", 1.0, "wh")
_add("energy", 1000.0, "kwh")
_add("charge", 1.0, "mah")
_add("charge", 1000.0, "ah")
_add("voltage", 1.0, "v", "volt", "volts")
_add("current", 1.0, "amp", "amps", "ampere", "amperes")
_add("pressure", 1.0, "bar")
_add("pressure", 0.0689476, "psi")
_add("torque", 1.0, "nm")
_add("percent", 1.0, "%", "percent", "per cent")
_add("loudness", 1.0, "db", "decibel", "decibels")
_add("frequency", 1.0, "hz")
_add("frequency", 1000.0, "khz")
_add("frequency", 1e6, "mhz")
_add("frequency", 1e9, "ghz")
_add("rotation", 1.0, "rpm")
_add("data", 1.0, "gb")
_add("data", 0.001, "mb")
_FAHRENHEIT = ("degrees fahrenheit", "degree fahrenheit", "°f", "ºf")

_WORDS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_WORDS.update(thirty=30, forty=40, fifty=50, sixty=60, ninety=90, hundred=100)
_WORD_FOR = {value: word for word, value in _WORDS.items()}
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_UNIT = "|".join(re.escape(u) for u in sorted([*_UNITS, *_FAHRENHEIT], key=len, reverse=True))
# a number, then its unit ("1.8 litres", "45-minute", "20V") or the noun it counts ("4 cameras")
_QUANTITY = re.compile(
    rf"(?<![\w.:])(?P<number>{_NUMBER}|{'|'.join(_WORDS)})(?![\w])"
    rf"(?:[ \-]?(?P<unit>{_UNIT})(?![\w²³])|\s+[a-z]+\s+(?P<unit2>{_UNIT})(?![\w²³])"
    rf"|\s+(?!per\b)(?P<noun>[a-z][a-z\-]*))?",
    re.IGNORECASE,
)
_QUANTITY_TOKEN = re.compile(rf"{_NUMBER}[ \-]?(?:{_UNIT})", re.IGNORECASE)
# a part or model code: letters and digits in one token ("H13", "PM2.5", "10W-30")
_CODE = re.compile(r"(?<![\w\-])(?=[\w.\-]*\d)(?=[\w.\-]*[A-Za-z])[A-Za-z0-9][\w.\-]*[A-Za-z0-9]")
# between the members of a list or range that share the unit named at its end
_CONNECTOR = re.compile(r"\s*(?:,|and|or|to|-|–|x|×)\s*", re.IGNORECASE)
_NOT_NOUNS = {
    "and",
    "or",
    "to",
    "of",
    "the",
    "a",
    "an",
    "at",
    "in",
    "on",
    "for",
    "with",
    "from",
    "is",
    "are",
    "was",
    "it",
    "its",
    "up",
    "about",
    "x",
    "than",
    "once",
    "twice",
}


@dataclass(frozen=True)
class Fact:
    kind: str  # "volume", "time", "count:camera", "number", "code", ...
    value: float | str  # in the kind's base unit; the code itself for codes
    text: str


def _number(text: str) -> float:
    word = _WORDS.get(text.lower())
    return float(word) if word is not None else float(text.replace(",", ""))


def _singular(noun: str) -> str:
    noun = noun.lower()
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def _name_spans(text: str, product_name: str) -> list[tuple[int, int]]:
    """Where `text` names the product by a name word and its number or code ("DryZone 20",
    "Scout R7"), or by a code of its name alone ("the R7"): the spans of those numbers and
    codes, which are not facts about it. A quantity in the name ("ForgeDrive 20V") is the
    name only right after its name word: "a 20V battery" is a fact."""
    words = product_name.split()
    spans = []
    for before, token in zip(words, words[1:], strict=False):
        if any(c.isdigit() for c in token):
            pattern = rf"\b{re.escape(before)}\s+({re.escape(token)})\b"
            spans += [m.span(1) for m in re.finditer(pattern, text)]
    for token in words:
        if _CODE.fullmatch(token) and _is_code(token):
            pattern = rf"(?<![\w\-]){re.escape(token)}(?![\w\-])"
            spans += [m.span() for m in re.finditer(pattern, text, re.IGNORECASE)]
    return spans


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
# the numbers of a text's layout, never facts (`layout_spans`)
_ENUMERATOR = re.compile(  # at a line's start: "1.", "2)", "(3)", "b)", "iv.", "Step 3:", "4 – Fit"
    r"^[ \t]*(?:[-*•+>#]+[ \t]*)*(?:(?:step|section|part|item|stage|phase|no\.?)[ \t]*)?"
    r"\(?(?:\d+(?:\.\d+)*|[a-z]|[ivx]+)(?:[.):](?=\s|$)|[ \t]*[–—-][ \t]+(?=[A-Z]))",
    re.IGNORECASE | re.MULTILINE,
)
_REFERENCE = re.compile(  # "step 3", "see section 4.2", "steps 2 to 4", "page 12", "(2)"
    r"\b(?:steps?|sections?|chapters?|pages?|figures?|fig\.|tables?|items?|parts?|stages?|"
    r"phases?|paragraphs?|points?)[ \t]+\d+(?:\.\d+)*(?:[ \t]*(?:,|and|or|to|-|–)[ \t]*"
    r"\d+(?:\.\d+)*)*|\(\d{1,2}\)|(?<=\s)\d{1,2}\)(?=\s)",
    re.IGNORECASE,
)
_DATE = re.compile(  # a document's dates and revisions: "2024-05-01", "1/5/2024", "May 2024"
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|"
    rf"\b{_MONTH}[ \t]+(?:\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+)?(?:19|20)\d{{2}}\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?[ \t]+{_MONTH}[ \t]+(?:19|20)\d{{2}}\b|"
    rf"(?:©|\(c\)|\b(?:rev(?:ision)?\.?|edition|issued|updated|published|copyright))"
    rf"[ \t]*(?:\d{{4}}-\d{{2}}-\d{{2}}|\d+(?:\.\d+)*)",
    re.IGNORECASE,
)
_HEADING_WORDS = 12  # a line ending in ":" with at most this many words is a heading


def is_heading(line: str) -> bool:
    """A line that names a section: markdown ("## 5 Care"), bold ("**Part 2**"), capitals, or
    short and ending in a colon ("2. Handling:"). It claims nothing."""
    line = line.strip()
    letters = re.sub(r"[^A-Za-z]", "", line)
    return bool(line) and (
        line.startswith("#")
        or (line.startswith("**") and line.endswith("**"))
        or (line.endswith(":") and len(line.split()) <= _HEADING_WORDS)
        or (len(letters) >= 4 and letters.isupper())
    )


def _heading_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"^.*$", text, re.MULTILINE) if is_heading(m.group(0))]


def layout_spans(text: str, product_name: str = "") -> list[tuple[int, int]]:
    """The spans of `text` whose numbers are not facts: list markers, step and section
    numbers, headings, a document's dates, and the product's own name."""
    patterns = (_ENUMERATOR, _REFERENCE, _DATE)
    spans = [m.span() for pattern in patterns for m in pattern.finditer(text)]
    spans += _heading_spans(text)
    return spans + (_name_spans(text, product_name) if product_name else [])


def _blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with `spans` replaced by spaces: what is left keeps its offsets."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _is_code(token: str) -> bool:
    """A letters-and-digits token that is not a quantity ("20V", "45-minute") nor a number."""
    return not (_QUANTITY_TOKEN.fullmatch(token) or re.fullmatch(_NUMBER, token))


def _unit(match: re.Match) -> str | None:
    """The unit of a quantity, right after its number or one word on ("100 operating hours")."""
    return match["unit"] or match["unit2"]


def _bare(match: re.Match) -> bool:
    """A number with neither unit nor counted noun: it may take a list's shared unit."""
    noun = match["noun"]
    return _unit(match) is None and (noun is None or noun.lower() in _NOT_NOUNS)


def extract_facts(text: str, product_name: str = "") -> list[Fact]:
    """The checkable facts of `text`, each distinct fact once, in order of appearance."""
    text = _blanked(text, layout_spans(text, product_name))
    facts: list[Fact] = []
    for match in _CODE.finditer(text):
        token = re.sub(r"-[a-z]{3,}$", "", match.group(0).rstrip(".-"))  # "IP54-rated": IP54
        if not _is_code(token):
            continue  # a quantity, read below
        facts.append(Fact("code", token.upper(), token))
        text = text[: match.start()] + " " * len(match.group(0)) + text[match.end() :]
    matches = list(_QUANTITY.finditer(text))
    for i, match in enumerate(matches):
        unit, noun = _unit(match), match["noun"]
        j = i  # "4 and 40 degrees Celsius", "70, 80 and 90 °C": the unit at the end is shared
        while (
            _bare(matches[j])
            and j + 1 < len(matches)
            and _CONNECTOR.fullmatch(text[matches[j].end("number") : matches[j + 1].start()])
        ):
            j += 1
            unit, noun = _unit(matches[j]), matches[j]["noun"]
        fact = _quantity(match, unit, noun)
        if fact is not None:
            facts.append(fact)
    unique: dict[tuple[str, float | str], Fact] = {}
    for fact in facts:
        unique.setdefault((fact.kind, fact.value), fact)
    return list(unique.values())


def _quantity(match: re.Match, unit: str | None, noun: str | None) -> Fact | None:
    value, text = _number(match["number"]), match.group(0).strip()
    if unit and unit.lower() in _FAHRENHEIT:
        return Fact("temperature", round((value - 32) * 5 / 9, 6), text)
    if unit:
        kind, factor = _UNITS[unit.lower()]
        return Fact(kind, round(value * factor, 9), text)
    if noun and noun.lower() not in _NOT_NOUNS:
        return Fact(f"count:{_singular(noun)}", value, text)
    if match["number"].lower() in _WORDS:
        return None  # "one of", "for two": a word, not a checkable quantity
    return Fact("number", value, text)


@dataclass(frozen=True)
class FactCheck:
    facts: int
    stated: int
    contradicted: int

    @property
    def recall(self) -> float | None:
        return round(self.stated / self.facts, 6) if self.facts else None

    @property
    def contradiction(self) -> float | None:
        return round(self.contradicted / self.facts, 6) if self.facts else None


def _same(a: float | str, b: float | str) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def check_facts(reference: str, answer: str | None, product_name: str = "") -> FactCheck:
    """How many of the reference's facts the answer states, and how many it contradicts.

    Per kind, each answer value that matches no reference fact contradicts at most one
    reference fact the answer left unstated: "every 6 months" against "every 3 months,
    with the 45-minute programme" is one contradiction and one omission, not two.
    """
    expected = extract_facts(reference, product_name)
    given = extract_facts(answer or "", product_name)
    stated = contradicted = 0
    for kind in dict.fromkeys(f.kind for f in expected):
        mine = [f.value for f in expected if f.kind == kind]
        # a bare number ("colder than 0 or ...") is stated by the same value of any kind
        theirs = [g.value for g in given if g.kind == kind or kind == "number"]
        found = [v for v in mine if any(_same(v, t) for t in theirs)]
        stated += len(found)
        if kind != "code":  # another code is another part, not a wrong one
            others = [t for t in theirs if not any(_same(t, v) for v in mine)]
            contradicted += min(len(mine) - len(found), len(others))
    return FactCheck(len(expected), stated, contradicted)


def written_out(fact: str) -> bool:
    """A quantity written with digits and its unit ("140 W", "2.5 litre"): a list's shared
    unit, a bare number or a number word ("in one go") is too loose to call new."""
    return bool(re.search(r"\d", fact) and re.search(r"\d\s*[-]?\s*[^\d\s.,:]", fact))


def alter_facts(text: str, product_name: str = "") -> str | None:
    """`text` with every number and code changed (doubled, or the last digit moved on), the
    product's own name left alone: the fact-altered control a judge must score low. None when
    the text has nothing to alter."""
    blank = _blanked(text, layout_spans(text, product_name))
    spans: list[tuple[int, int, str]] = []
    for match in _CODE.finditer(blank):
        token = match.group(0)
        if not _is_code(token):
            continue
        digits = [i for i, c in enumerate(token) if c.isdigit()]
        last = digits[-1]
        changed = token[:last] + str((int(token[last]) + 1) % 10) + token[last + 1 :]
        spans.append((match.start(), match.end(), changed))
    for match in _QUANTITY.finditer(blank):
        number = match["number"]
        is_word = number.lower() in _WORDS
        if is_word and not (match["noun"] and match["noun"].lower() not in _NOT_NOUNS):
            continue  # "for two": not a fact
        if any(start <= match.start("number") < end for start, end, _ in spans):
            continue
        value = _number(number)
        if is_word:
            changed = _WORD_FOR.get(value + 2, str(int(value) + 2))
            changed = changed.capitalize() if number[0].isupper() else changed
        else:
            decimals = len(number.split(".")[1]) if "." in number else 0
            changed = f"{value * 2 if value else 1:,.{decimals}f}"
            changed = changed if "," in number else changed.replace(",", "")
        spans.append((match.start("number"), match.end("number"), changed))
    altered = text
    for start, end, changed in sorted(spans, reverse=True):
        altered = altered[:start] + changed + altered[end:]
    return altered if altered != text else None
