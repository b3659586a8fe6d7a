"""The test-set loader and the shipped sample data."""

from __future__ import annotations

import json
import re

import pytest

from tailor.catalog import parse_catalog
from tailor.errors import InputError
from tailor.testset import load_test_set
from tests.support.paths import SAMPLE_CATALOG, SAMPLE_TEST_SET


def test_sample_test_set_covers_every_product_with_facts_from_the_catalog():
    products = {p.name: p for p in parse_catalog([("c", SAMPLE_CATALOG.read_bytes())])}
    test_set = load_test_set(SAMPLE_TEST_SET.read_bytes(), "test_set.json", set(products))
    assert test_set.skipped == []
    assert len(test_set.cases) >= 30
    per_product = {name: 0 for name in products}
    for case in test_set.cases:
        per_product[case.product_name] += 1
        text = products[case.product_name].text.replace(",", "")
        for number in re.findall(r"\d+(?:\.\d+)?", case.answer.replace(",", "")):
            assert number in text, f"{case.question!r}: {number} is not in the catalog"
    assert min(per_product.values()) >= 2


def test_reference_style_long_answers_are_accepted():
    answer = "The device must be descaled regularly. " * 62  # ~2,400 characters
    data = json.dumps([{"product_name": "P", "question": "How?", "answer": answer}]).encode()
    (case,) = load_test_set(data, "ref.json").cases
    assert len(case.answer) > 2400


def test_bad_entries_are_reported_and_skipped():
    data = json.dumps(
        [
            {"product_name": "P", "question": "Q1", "answer": "A1"},
            {"product_name": "P", "question": "Q2"},
            {"product_name": "Ghost", "question": "Q3", "answer": "A3"},
            "not an object",
            {"product_name": "P", "question": " ", "answer": "A5"},
        ]
    ).encode()
    test_set = load_test_set(data, "tests.json", known_products={"P"})
    assert [c.question for c in test_set.cases] == ["Q1"]
    assert test_set.skipped == [
        "tests.json[1]: missing or empty answer",
        "tests.json[2]: unknown product 'Ghost'",
        "tests.json[3]: not an object",
        "tests.json[4]: missing or empty question",
    ]


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (b'[\n{"product_name": "P",\n "question": }\n]', 3, "not valid JSON"),
        (b'{"product_name": "P"}', 1, "expected a JSON array"),
        (b'["caf\xe9"]', 1, "not valid UTF-8"),
    ],
)
def test_unreadable_files_are_errors_naming_the_place(data, line, message):
    with pytest.raises(InputError, match=message) as exc:
        load_test_set(data, "tests.json")
    assert (exc.value.source, exc.value.line) == ("tests.json", line)


def test_an_entry_may_carry_a_correct_rewrite_for_the_judges_and_a_bad_one_is_skipped():
    entries = [
        {"product_name": "P", "question": "q1", "answer": "a", "rewrite": "in other words"},
        {"product_name": "P", "question": "q2", "answer": "a", "rewrite": ""},
        {"product_name": "P", "question": "q3", "answer": "a"},
    ]
    loaded = load_test_set(json.dumps(entries).encode(), "t.json")
    assert [(c.question, c.rewrite) for c in loaded.cases] == [
        ("q1", "in other words"),
        ("q3", None),
    ]
    assert loaded.skipped == ["t.json[1]: 'rewrite' must be a non-empty string when given"]
