"""What every knowledge base backend returns, and the one method the others rely on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RetrievedChunk:
    chunk_id: str
    product: str
    text: str
    score: float  # higher is more similar; backends document their scale


class KnowledgeBase(Protocol):
    """Retrieval as RAG and hybrid answers use it, on either backend."""

    def retrieve(self, query: str, top_k: int = 3) -> list[RetrievedChunk]: ...


def product_of(text: str, fallback: str) -> str:
    """The product a chunk is about: its first `Name:` line, else where it came from."""
    for line in text.splitlines():
        if line.startswith("Name:") and line[5:].strip():
            return line[5:].strip()
    return fallback


def chunk_from_bedrock(result: dict) -> RetrievedChunk:
    """Map one Bedrock `retrieve` result; the score is Bedrock's relevance score."""
    metadata = result.get("metadata") or {}
    source = str(
        metadata.get("x-amz-bedrock-kb-source-uri")
        or (result.get("location") or {}).get("s3Location", {}).get("uri", "")
    )
    text = result["content"].get("text", "")
    chunk_id = str(metadata.get("x-amz-bedrock-kb-chunk-id") or result.get("documentId") or source)
    return RetrievedChunk(chunk_id, product_of(text, source), text, float(result.get("score", 0.0)))
