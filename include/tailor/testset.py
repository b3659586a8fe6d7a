"""Load the evaluation test set: the reference's JSON array of question/answer pairs.

An entry may also carry `rewrite`, a correct answer in other words: the judges' calibration
then checks that they score it above the reference with its facts altered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tailor.errors import InputError

FIELDS = ("product_name", "question", "answer")


@dataclass(frozen=True)
class TestCase:
    __test__ = False  # a data record, not a pytest class

    product_name: str
    question: str
    answer: str
    rewrite: str | None = None  # optional: a correct answer in other words (a judge control)


@dataclass(frozen=True)
class TestSet:
    """Usable cases plus one message per entry that was skipped (and why)."""

    cases: list[TestCase]
    skipped: list[str]


def load_test_set(data: bytes, source: str, known_products: set[str] | None = None) -> TestSet:
    """Parse the test set; bad entries are reported and skipped, a bad file is an error."""
    try:
        entries = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(source, line, "not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(source, exc.lineno, f"not valid JSON: {exc.msg}") from None
    if not isinstance(entries, list):
        raise InputError(source, 1, "expected a JSON array of {product_name, question, answer}")
    cases: list[TestCase] = []
    skipped: list[str] = []
    for index, entry in enumerate(entries):
        where = f"{source}[{index}]"
        if not isinstance(entry, dict):
            skipped.append(f"{where}: not an object")
            continue
        missing = [f for f in FIELDS if not isinstance(entry.get(f), str) or not entry[f].strip()]
        if missing:
            skipped.append(f"{where}: missing or empty {', '.join(missing)}")
            continue
        if known_products is not None and entry["product_name"] not in known_products:
            skipped.append(f"{where}: unknown product '{entry['product_name']}'")
            continue
        rewrite = entry.get("rewrite")
        if rewrite is not None and not (isinstance(rewrite, str) and rewrite.strip()):
            skipped.append(f"{where}: 'rewrite' must be a non-empty string when given")
            continue
        cases.append(TestCase(entry["product_name"], entry["question"], entry["answer"], rewrite))
    return TestSet(cases, skipped)
