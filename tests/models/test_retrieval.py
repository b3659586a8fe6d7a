"""Retrieval on both backends returns top-k chunks with scores and product/chunk ids."""

from __future__ import annotations

import pytest
from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentRuntimeHook

from tailor.catalog import parse_catalog
from tailor.local.knowledge_base import LocalKnowledgeBase
from tailor.retrieval import CatalogLines, RetrievedChunk, chunk_from_bedrock
from tailor.settings import Settings
from tailor_airflow.retrieval import BedrockKnowledgeBase, knowledge_base
from tests.support.aws_stubs import stubbed_hook
from tests.support.paths import SAMPLE_CATALOG

SOURCE = "s3://catalog-bucket/catalog/product_catalog.txt"


def bedrock_result(text: str, score: float, chunk: str) -> dict:
    return {
        "content": {"text": text, "type": "TEXT"},
        "location": {"type": "S3", "s3Location": {"uri": SOURCE}},
        "score": score,
        "metadata": {"x-amz-bedrock-kb-source-uri": SOURCE, "x-amz-bedrock-kb-chunk-id": chunk},
    }


def test_bedrock_retrieve_sends_top_k_and_maps_results(monkeypatch):
    with stubbed_hook(monkeypatch, BedrockAgentRuntimeHook, "bedrock-agent-runtime") as stubber:
        stubber.add_response(
            "retrieve",
            {
                "retrievalResults": [
                    bedrock_result(
                        "Name: Halden PureBoil Glass Kettle\nDescription: 1.7 litre", 0.71, "c-1"
                    ),
                    bedrock_result("descale monthly in hard water areas", 0.42, "c-2"),
                ]
            },
            {
                "knowledgeBaseId": "KB12345678",
                "retrievalQuery": {"text": "How big is the kettle?"},
                "retrievalConfiguration": {"vectorSearchConfiguration": {"numberOfResults": 2}},
            },
        )
        settings = Settings.from_mapping(
            {"backend": "aws", "knowledge_base_id": "KB12345678", "region_name": "us-east-1"}
        )
        hits = knowledge_base(settings).retrieve("How big is the kettle?", top_k=2)
    assert hits == [
        RetrievedChunk(
            "c-1",
            "Halden PureBoil Glass Kettle",
            "Name: Halden PureBoil Glass Kettle\nDescription: 1.7 litre",
            0.71,
        ),
        RetrievedChunk("c-2", SOURCE, "descale monthly in hard water areas", 0.42),
    ]


def test_local_retrieve_ranks_the_right_product_first(tmp_path, embedder):
    products = parse_catalog([("c", SAMPLE_CATALOG.read_bytes())])
    kb = LocalKnowledgeBase(tmp_path, embedder)
    assert kb.retrieve("anything") == []  # nothing synced yet
    kb.apply("m1", products)
    hits = kb.retrieve("How many fingerprints can the GateKeep lock store?", top_k=3)
    assert len(hits) == 3 and hits[0].product == "Halden GateKeep Smart Lock"
    assert hits[0].chunk_id.startswith("halden-gatekeep-smart-lock#")
    assert hits[0].score >= hits[1].score >= hits[2].score and 0 < hits[0].score <= 1


def test_backend_setting_picks_the_implementation(tmp_path):
    local = knowledge_base(Settings.from_mapping({"data_root": str(tmp_path)}))
    assert isinstance(local, LocalKnowledgeBase) and local.root == tmp_path / "knowledge_base"
    aws = knowledge_base(
        Settings.from_mapping({"backend": "aws", "knowledge_base_id": "KB12345678"})
    )
    assert isinstance(aws, BedrockKnowledgeBase) and aws.knowledge_base_id == "KB12345678"
    with pytest.raises(ValueError, match="knowledge_base_id"):
        knowledge_base(Settings.from_mapping({"backend": "aws"}))


def test_a_bedrock_chunk_is_the_product_most_of_its_lines_come_from():
    """Bedrock cuts the catalog file in fixed-size windows: a chunk starts mid-product and runs
    into the next one, so its first `Name:` line names the wrong product."""
    catalog = {p.name: p.text for p in parse_catalog([("c", SAMPLE_CATALOG.read_bytes())])}
    first, second = list(catalog)[:2]
    tail = catalog[first].splitlines()[-4:]  # the end of one product ...
    head = catalog[second].splitlines()[:2]  # ... and the start of the next
    window = "\n".join([tail[0][10:], *tail[1:], "", *head])  # cut mid-line, as Bedrock does
    lines = CatalogLines(catalog)
    assert chunk_from_bedrock(bedrock_result(window, 0.5, "c-9"), lines).product == first
    assert chunk_from_bedrock(bedrock_result(window, 0.5, "c-9")).product == second  # the old rule
    unknown = bedrock_result("nothing from the catalog", 0.5, "c-10")
    assert chunk_from_bedrock(unknown, lines).product == SOURCE
