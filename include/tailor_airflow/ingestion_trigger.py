"""Deferrable waits, polled in the triggerer the way the Amazon provider's triggers do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook
from airflow.triggers.base import BaseTrigger, TriggerEvent

from tailor.ingestion import RUNNING_STATES, summarise_job


class IngestionJobTrigger(BaseTrigger):
    """Wait until a Bedrock ingestion job leaves STARTING/IN_PROGRESS, whatever state it ends in.

    The operator, not the trigger, decides what an end state means, so STOPPED or an
    unknown state can never pass as success here.
    """

    def __init__(
        self,
        knowledge_base_id: str,
        data_source_id: str,
        ingestion_job_id: str,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        poll_interval: float = 30,
        max_attempts: int = 360,
    ) -> None:
        super().__init__()
        self.knowledge_base_id = knowledge_base_id
        self.data_source_id = data_source_id
        self.ingestion_job_id = ingestion_job_id
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "knowledge_base_id": self.knowledge_base_id,
                "data_source_id": self.data_source_id,
                "ingestion_job_id": self.ingestion_job_id,
                "aws_conn_id": self.aws_conn_id,
                "region_name": self.region_name,
                "poll_interval": self.poll_interval,
                "max_attempts": self.max_attempts,
            },
        )

    def hook(self) -> BedrockAgentHook:
        return BedrockAgentHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        job: dict[str, Any] = {"ingestionJobId": self.ingestion_job_id}
        async with await self.hook().get_async_conn() as client:
            for attempt in range(1, self.max_attempts + 1):
                response = await client.get_ingestion_job(
                    knowledgeBaseId=self.knowledge_base_id,
                    dataSourceId=self.data_source_id,
                    ingestionJobId=self.ingestion_job_id,
                )
                job = summarise_job(response["ingestionJob"])
                if job["status"] not in RUNNING_STATES:
                    yield TriggerEvent({"status": "done", "job": job})
                    return
                self.log.info(
                    "Ingestion job %s is %s (check %d/%d): %s",
                    self.ingestion_job_id,
                    job["status"],
                    attempt,
                    self.max_attempts,
                    job["statistics"],
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(self.poll_interval)
        yield TriggerEvent({"status": "timeout", "job": job})
