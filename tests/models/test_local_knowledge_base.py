"""The embedded knowledge base, with the real MiniLM model and a real LanceDB store."""

from __future__ import annotations

import multiprocessing
from datetime import datetime

import pytest

from tailor.catalog import Product, parse_catalog, parse_catalog_text
from tailor.local.chunking import token_windows
from tailor.local.knowledge_base import LocalKnowledgeBase
from tests.support.paths import SAMPLE_CATALOG


@pytest.fixture(scope="module")
def products() -> list[Product]:
    return parse_catalog([(str(SAMPLE_CATALOG), SAMPLE_CATALOG.read_bytes())])


def edited(product: Product, old: str, new: str) -> Product:
    (changed,) = parse_catalog_text(product.text.replace(old, new), product.source)
    return changed


def test_token_windows_have_the_size_and_overlap_asked_for(embedder):
    tokenizer = embedder.tokenizer
    words = ["red", "blue", "green", "black", "white", "cat", "dog", "house", "car", "tree"]
    text = " ".join(words[i % 10] for i in range(300))  # one token per word
    spans = token_windows(text, tokenizer, size=100, overlap=20)
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    windows = [tokenizer(text[a:b], add_special_tokens=False)["input_ids"] for a, b in spans]
    assert len(ids) == 300 and len(spans) == 4  # windows start at tokens 0, 80, 160, 240
    assert all(len(w) == 100 for w in windows[:-1]) and len(windows[-1]) == 60
    assert windows[0][-20:] == windows[1][:20]  # 20 tokens shared
    assert windows[-1][-1] == ids[-1]  # nothing lost at the end
    with pytest.raises(ValueError):
        token_windows(text, tokenizer, size=10, overlap=10)


def test_chunks_fit_minilm_and_stay_attributable(tmp_path, embedder, products):
    kb = LocalKnowledgeBase(tmp_path, embedder)
    for product in products:
        for row in kb.chunk(product):
            assert row["text"].startswith(f"Name: {product.name}")
            tokens = embedder.tokenizer(row["text"])["input_ids"]
            assert len(tokens) <= embedder.max_tokens, row["chunk_id"]


def test_incremental_sync_reembeds_only_what_changed(tmp_path, embedder, products):
    kb = LocalKnowledgeBase(tmp_path, embedder)
    first = kb.apply("m1", products)
    assert (first.kb_version, first.products, len(first.added)) == (1, 16, 16)
    assert first.chunks == first.chunks_embedded > 16

    kettle = next(p for p in products if "PureBoil" in p.name)
    new_kettle = edited(kettle, "1.7 litre borosilicate", "2.1 litre borosilicate")
    second = kb.apply("m2", [new_kettle if p is kettle else p for p in products])
    assert second.changed == [kettle.name] and second.added == second.removed == []
    assert second.chunks_embedded == len(kb.chunk(new_kettle))
    assert second.chunks == first.chunks

    (hit, *_) = kb.retrieve("What is the capacity of the PureBoil glass kettle?")
    assert hit.product == kettle.name and "2.1 litre" in hit.text

    third = kb.apply("m3", [p for p in products if p is not kettle])
    assert third.removed == [kettle.name] and third.chunks_embedded == 0
    assert all(h.product != kettle.name for h in kb.retrieve("PureBoil kettle", top_k=5))
    assert kb.apply("m3", products).kb_version == 3  # same manifest again: no-op


def test_old_versions_stay_queryable_by_date(tmp_path, embedder, products):
    kb = LocalKnowledgeBase(tmp_path, embedder)
    kb.apply("m1", products)
    lock = next(p for p in products if "GateKeep" in p.name)
    kb.apply("m2", [p for p in products if p is not lock])
    v1_time = datetime.fromisoformat(kb.versions()[0].synced_at)
    question = "How long do the GateKeep smart lock batteries last?"
    assert kb.retrieve(question, as_of=v1_time)[0].product == lock.name
    assert all(h.product != lock.name for h in kb.retrieve(question))
    assert kb.retrieve(question, as_of=datetime(2000, 1, 1)) == []


def test_a_crashed_half_sync_is_invisible_and_rolled_back(tmp_path, embedder, products):
    kb = LocalKnowledgeBase(tmp_path, embedder)
    kb.apply("m1", products)
    kb._table().delete("chunk_index >= 0")  # a sync that died after deleting everything
    assert len(kb.retrieve("espresso machine water tank")) == 3  # readers see v1
    repaired = kb.apply("m2", products)
    assert repaired.chunks_embedded == 0 and repaired.chunks == kb.versions()[0].chunks


def _apply_in_process(root: str, manifest: str, names: list[str]) -> None:
    from tailor.catalog import parse_catalog
    from tests.support.paths import SAMPLE_CATALOG

    products = parse_catalog([("c", SAMPLE_CATALOG.read_bytes())])
    LocalKnowledgeBase(root).apply(manifest, [p for p in products if p.name in names])


def test_two_writers_at_once_do_not_corrupt_the_store(tmp_path, embedder, products):
    names = [p.name for p in products]
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_apply_in_process, args=(str(tmp_path), "all", names)),
        context.Process(target=_apply_in_process, args=(str(tmp_path), "half", names[:8])),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=240)
        assert worker.exitcode == 0
    kb = LocalKnowledgeBase(tmp_path, embedder)
    versions = kb.versions()
    assert [v.kb_version for v in versions] == [1, 2]
    last = versions[-1]
    expected = {"all": names, "half": names[:8]}[last.manifest_hash]
    stored = kb._stored_hashes(kb._table())
    assert sorted(stored) == sorted(expected)
    assert last.chunks == kb._table().count_rows()
