"""What every knowledge base backend returns, and the one method the others rely on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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


class CatalogLines:
    """Which product each line of the synced catalog belongs to. Bedrock chunks the catalog
    file in fixed-size windows that start mid-product and run into the next one, so a chunk's
    product is the one most of its whole lines come from, not its first `Name:` line."""

    def __init__(self, catalog: Mapping[str, str]) -> None:
        self.owner: dict[str, str] = {}
        for name, text in catalog.items():
            for line in text.splitlines():
                self.owner.setdefault(_flat(line), name)
        self.owner.pop("", None)

    def product_of(self, text: str) -> str | None:
        """The product whose catalog lines make up most of `text`; None if none does."""
        weight: Counter[str] = Counter()
        for line in text.splitlines():
            if owner := self.owner.get(_flat(line)):
                weight[owner] += len(line)
        return weight.most_common(1)[0][0] if weight else None


def _flat(line: str) -> str:
    return " ".join(line.split())


def product_of(text: str, fallback: str, lines: CatalogLines | None = None) -> str:
    """The product a chunk is about: the one most of its lines come from (given the synced
    catalog's lines), else its first `Name:` line, else where it came from."""
    if lines and (owner := lines.product_of(text)):
        return owner
    for line in text.splitlines():
        if line.startswith("Name:") and line[5:].strip():
            return line[5:].strip()
    return fallback


def chunk_from_bedrock(result: dict, lines: CatalogLines | None = None) -> RetrievedChunk:
    """Map one Bedrock `retrieve` result; the score is Bedrock's relevance score."""
    metadata = result.get("metadata") or {}
    source = str(
        metadata.get("x-amz-bedrock-kb-source-uri")
        or (result.get("location") or {}).get("s3Location", {}).get("uri", "")
    )
    text = result["content"].get("text", "")
    chunk_id = str(metadata.get("x-amz-bedrock-kb-chunk-id") or result.get("documentId") or source)
    product = product_of(text, source, lines)
    return RetrievedChunk(chunk_id, product, text, float(result.get("score", 0.0)))
