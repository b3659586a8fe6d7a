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
