"""Deferrable wait on a Bedrock ingestion job, polled in the triggerer."""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook

from tailor.ingestion import RUNNING_STATES, summarise_job
from tailor_airflow.polling import Poll, PollingTrigger


class IngestionJobTrigger(PollingTrigger):
    """Wait until a Bedrock ingestion job leaves STARTING/IN_PROGRESS/STOPPING, whatever state
    it ends in.

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
        super().__init__(poll_interval, max_attempts)
        self.knowledge_base_id = knowledge_base_id
        self.data_source_id = data_source_id
        self.ingestion_job_id = ingestion_job_id
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name

    def hook(self) -> BedrockAgentHook:
        return BedrockAgentHook(aws_conn_id=self.aws_conn_id, region_name=self.region_name)

    async def poll(self) -> Poll:
        async with await self.hook().get_async_conn() as client:
            response = await client.get_ingestion_job(
                knowledgeBaseId=self.knowledge_base_id,
                dataSourceId=self.data_source_id,
                ingestionJobId=self.ingestion_job_id,
            )
        job: dict[str, Any] = summarise_job(response["ingestionJob"])
        if job["status"] not in RUNNING_STATES:
            return Poll(end={"status": "done", "job": job})
        progress = f"Ingestion job {self.ingestion_job_id} is {job['status']}: {job['statistics']}"
        return Poll(progress=progress, seen={"job": job})
