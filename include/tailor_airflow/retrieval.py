"""Retrieval for either backend, behind the one `KnowledgeBase.retrieve` method."""

from __future__ import annotations

from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentRuntimeHook

from tailor.retrieval import CatalogLines, KnowledgeBase, RetrievedChunk, chunk_from_bedrock
from tailor.settings import Backend, Settings
from tailor_airflow.hooks import adaptive_retries, aws_hook


class BedrockKnowledgeBase:
    """A Bedrock Knowledge Base, queried through the provider's runtime hook."""

    def __init__(
        self,
        knowledge_base_id: str,
        hook: BedrockAgentRuntimeHook,
        lines: CatalogLines | None = None,
    ) -> None:
        self.knowledge_base_id = knowledge_base_id
        self.hook = hook
        self.lines = lines  # the synced catalog's: which product each retrieved chunk is

    def retrieve(self, query: str, top_k: int = 3) -> list[RetrievedChunk]:
        response = self.hook.conn.retrieve(
            knowledgeBaseId=self.knowledge_base_id,
            retrievalQuery={"text": query},
            retrievalConfiguration={"vectorSearchConfiguration": {"numberOfResults": top_k}},
        )
        return [chunk_from_bedrock(r, self.lines) for r in response["retrievalResults"]]


def knowledge_base(settings: Settings) -> KnowledgeBase:
    """The configured backend's knowledge base."""
    if settings.backend is Backend.LOCAL:
        from tailor.local.knowledge_base import LocalKnowledgeBase

        return LocalKnowledgeBase.from_settings(settings)
    from tailor_airflow.config import synced_catalog

    (kb_id,) = settings.require("knowledge_base_id")
    hook = aws_hook(BedrockAgentRuntimeHook, settings, config=adaptive_retries())
    return BedrockKnowledgeBase(kb_id, hook, CatalogLines(synced_catalog(settings)))
