"""Training-set builders, the leak check, the gate's rule and the registry."""

from __future__ import annotations

import pytest

from tailor.catalog import parse_catalog
from tailor.finetune.dataset import (
    PROMPT,
    Method,
    Pair,
    TrainingDataError,
    build_training_set,
    catalog_pairs,
    check_no_leak,
)
from tailor.finetune.gate import decide
from tailor.finetune.registry import promote, read_current, version_name
from tailor.testset import TestCase, load_test_set
from tests.support.paths import SAMPLE_CATALOG, SAMPLE_TEST_SET


@pytest.fixture(scope="module")
def products():
    return parse_catalog([("c", SAMPLE_CATALOG.read_bytes())])


@pytest.fixture(scope="module")
def test_cases():
    return load_test_set(SAMPLE_TEST_SET.read_bytes(), "t").cases


def test_instruction_pairs_come_from_every_section(products):
    pairs = catalog_pairs(products)
    assert len(pairs) == 4 * len(products)
    kettle = [p for p in pairs if p.product_name == "Halden PureBoil Glass Kettle"]
    safety = next(p for p in kettle if "safety" in p.question)
    assert safety.answer.startswith("Never fill above the 1.7 litre MAX mark")
    assert safety.prompt == PROMPT.format(question=safety.question)
    assert safety.prompt.startswith("Answer the customer's question: ")


def test_training_sets_hold_out_a_slice_and_keep_the_test_set_out(products, test_cases):
    tuned = build_training_set(Method.INSTRUCTION_TUNING, products, test_cases)
    assert tuned.held_out and tuned.pairs and not tuned.texts
    assert not {p.question for p in tuned.held_out} & {p.question for p in tuned.pairs}
    assert len(tuned.pairs) + len(tuned.held_out) == 64
    assert not {c.question for c in test_cases} & {p.question for p in tuned.pairs}
    adapted = build_training_set(Method.DOMAIN_ADAPTATION, products, test_cases)
    assert adapted.texts == [p.text for p in products] and adapted.held_out == tuned.held_out


def test_leak_check_catches_exact_and_near_duplicate_questions(products):
    pairs = catalog_pairs(products)
    exact = TestCase("Halden PureBoil Glass Kettle", pairs[0].question.upper(), "x")
    near = TestCase("Halden PureBoil Glass Kettle", pairs[5].question.replace("?", " please?"), "x")
    far = TestCase("Halden PureBoil Glass Kettle", "Does the kettle whistle?", "x")
    check_no_leak(pairs, [far])
    with pytest.raises(TrainingDataError, match=r"2 test question\(s\) also appear") as exc:
        check_no_leak(pairs, [exact, far, near])
    assert "(exact)" in str(exc.value) and " ~ " in str(exc.value)
    extra = [Pair("P", far.question, "It does not.")]
    with pytest.raises(TrainingDataError, match="Does the kettle whistle"):
        build_training_set(Method.INSTRUCTION_TUNING, products, [far], extra_pairs=extra)


def test_empty_and_oversized_training_data_are_refused(products, test_cases):
    with pytest.raises(TrainingDataError, match="no domain_adaptation training examples"):
        build_training_set(Method.DOMAIN_ADAPTATION, [], test_cases)
    with pytest.raises(TrainingDataError, match="too large: 16 examples"):
        build_training_set(Method.DOMAIN_ADAPTATION, products, test_cases, max_examples=10)
    with pytest.raises(TrainingDataError, match="too large"):
        build_training_set(Method.INSTRUCTION_TUNING, products, test_cases, max_characters=1000)


def test_gate_rule():
    first = decide([0.5, 0.7], None, margin=0.02)
    assert first.promote and first.reason.startswith("first model")
    assert (first.candidate_score, first.samples) == (0.6, 2)
    slightly_worse = decide([0.59, 0.59], [0.6, 0.6], margin=0.02)
    assert slightly_worse.promote
    worse = decide([0.5, 0.5], [0.6, 0.6], margin=0.02)
    assert not worse.promote
    assert worse.reason == "NOT PROMOTED: candidate 0.5000 < deployed 0.6000 - margin 0.02"
    assert decide([0.1], [0.9], margin=0.02, skip=True).promote
    with pytest.raises(ValueError, match="same questions"):
        decide([0.5], [0.5, 0.6], margin=0.02)
    with pytest.raises(ValueError, match="at least one"):
        decide([], None, margin=0.02)


def test_registry_versions_and_promotion(tmp_path):
    version = version_name("manual__2026-11-21T06:00:00+00:00")
    assert version == version_name("manual__2026-11-21T06:00:00+00:00")
    assert version != version_name("manual__2026-11-21T06:00:01+00:00")
    assert read_current(tmp_path) is None
    promote(tmp_path, {"version": "v1", "path": "/m/v1"})
    promote(tmp_path, {"version": "v2", "path": "/m/v2"})
    assert read_current(tmp_path) == {"version": "v2", "path": "/m/v2", "previous": "v1"}
