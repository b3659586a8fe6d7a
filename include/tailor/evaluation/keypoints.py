"""An answer split into the points a reader checks: list items and sentences.

The reference's answers are long, multi-section lists ("1. Electrical safety:\\n - Never ...");
a judge that reads only the first 1,500 characters, or the whole text as one string, misses
what is wrong at the end. Split into points, every part of both answers is compared.
Headings ("2. Handling:") are not points: they name a section, they claim nothing.
"""

from __future__ import annotations

import re

from tailor.evaluation.facts import is_heading

_MARKER = re.compile(  # a line's bullet or list marker: "-", "*", "1.", "b)", "(iv)", "Step 3:"
    r"^\s*(?:[-*•+>#]+\s*)*(?:(?:step|section|part|item|stage|phase)\s*\d+(?:\.\d+)*\s*[:.)–—-]?"
    r"|\(?(?:\d+(?:\.\d+)*|[a-z]|[ivx]+)[.):](?=\s)|\*\*)?\s*",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'(]?[A-Z0-9])")
_MIN_WORDS = 3  # shorter pieces ("Yes.", "Note:") are no points of their own


def points(text: str) -> list[str]:
    """The points of `text`, in order: each list item or sentence, without its marker; a
    heading or a title line is left out, and a piece too short to claim anything joins the
    next one."""
    found: list[str] = []
    pending = ""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and not lines[0].rstrip().endswith((".", "!", "?", ";")):
        lines = lines[1:]  # a title ("Using the Osterby TerraCell 1200"): it claims nothing
    for line in lines:
        if is_heading(line):
            continue
        body = _MARKER.sub("", line, count=1).strip().strip("*").strip()
        for sentence in _SENTENCE_END.split(body):
            sentence = f"{pending} {sentence}".strip() if pending else sentence.strip()
            if len(re.findall(r"\w+", sentence)) < _MIN_WORDS:
                pending = sentence
                continue
            pending = ""
            found.append(sentence)
    if pending and found:
        found[-1] = f"{found[-1]} {pending}"
    elif pending:
        found.append(pending)
    return found


def reflow(text: str, seed: str) -> str:
    """The same content with its layout gone: list markers and headings removed, the points
    in another order (seeded), joined as prose. A judge must score it like `text` itself."""
    import random

    found = points(text)
    random.Random(seed).shuffle(found)
    return " ".join(p if p[-1] in ".!?" else f"{p}." for p in found)


def catalog_points(text: str, source: str = "catalog") -> list[str]:
    """The sentences of a catalog record (`tailor.catalog`'s format), whose sections run over
    hard-wrapped lines: each section's lines are joined before it is split into sentences."""
    from tailor.catalog import parse_catalog_text

    found = []
    for product in parse_catalog_text(text, source):
        for header, section in product.sections.items():
            if header != "Name":
                found += points(" ".join(section.split()))
    return found


_LABEL = re.compile(r"^([A-Z][\w ]{0,40}):\s*")  # a catalog section's label: "Safety_instructions:"


def context_points(text: str) -> list[str]:
    """The sentences of retrieved catalog chunks (hard-wrapped `Label: text` sections, a
    chunk cut anywhere): each section's lines joined without its label, then split; the
    `Name:` line claims nothing."""
    sections: list[list[str]] = [[]]
    for line in text.splitlines():
        label = _LABEL.match(line)
        if label or not line.strip():
            sections.append([])
            if label and label.group(1) == "Name":
                continue
            line = line[label.end() :] if label else ""
        if line.strip():
            sections[-1].append(line.strip())
    return [p for section in sections if section for p in points(" ".join(section))]
