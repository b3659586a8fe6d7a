"""Bring the knowledge base to a planned catalog manifest, on either backend.

``local``: re-embed the changed products into the embedded LanceDB store, in the task.
``aws``: start a Bedrock ingestion job through the provider's BedrockAgentHook and wait
for it in the triggerer; a busy data source (ConflictException) is waited out first.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, Context
from botocore.exceptions import ClientError

from tailor.ingestion import ENDED_UNSYNCED, RUNNING_STATES, check_ingestion_job, client_token
from tailor.kb_sync import load_snapshot, plan_sync
from tailor.settings import Backend, Settings
from tailor_airflow.config import catalog_root, kb_state_root, load_settings
from tailor_airflow.hooks import aws_connection, aws_hook

if TYPE_CHECKING:  # the provider loads boto3: imported where a task calls AWS
    from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook

MAX_CONFLICT_WAITS = 3
MAX_RESTARTS = 10  # jobs of one transition that ended FAILED/STOPPED before this attempt

log = logging.getLogger(__name__)


def plan_catalog_sync(allow_mass_delete: bool) -> dict[str, Any]:
    """Compare the catalog with the last synced manifest. A bad catalog or a refused mass
    delete raises an error the DAGs' retry policy fails at once: a retry cannot fix a typo."""
    settings = load_settings()
    plan = plan_sync(catalog_root(settings), kb_state_root(settings), allow_mass_delete)
    log.info("%s", plan.reason)
    return plan.to_dict()


class SyncKnowledgeBaseOperator(BaseOperator):
    """Sync the knowledge base to ``plan``; return the counts (local) or the ingestion job.

    :param plan: the output of ``plan_catalog_sync`` (templated): the manifest hash to reach,
        the previous one, and the products added, modified and removed. On aws the pair of
        hashes makes the ingestion job's client token, so a retry re-attaches to its job.
    """

    template_fields = ("plan",)
    ui_color = "#d6eaf8"

    def __init__(self, *, plan: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan

    def execute(self, context: Context) -> dict[str, Any]:
        settings = load_settings()
        if settings.backend is Backend.LOCAL:
            return self._sync_local(settings)
        return self._start_ingestion(settings, conflicts_waited=0)

    # -- local ------------------------------------------------------------------------
    def _sync_local(self, settings: Settings) -> dict[str, Any]:
        from tailor.local.knowledge_base import LocalKnowledgeBase

        products = load_snapshot(kb_state_root(settings), self.plan["manifest_hash"])
        kb = LocalKnowledgeBase.from_settings(settings)
        version = kb.apply(self.plan["manifest_hash"], products)
        self.log.info(
            "Knowledge base version %d: %d products, %d chunks; re-embedded %d chunks "
            "(added %s, changed %s, removed %s) in %.1f s",
            version.kb_version,
            version.products,
            version.chunks,
            version.chunks_embedded,
            version.added or "none",
            version.changed or "none",
            version.removed or "none",
            version.seconds,
        )
        return {"backend": "local", "store": str(settings.local_kb_dir), **vars(version)}

    # -- aws --------------------------------------------------------------------------
    def _hook(self, settings: Settings) -> BedrockAgentHook:
        from airflow.providers.amazon.aws.hooks.bedrock import BedrockAgentHook

        return aws_hook(BedrockAgentHook, settings)

    def _start_ingestion(self, settings: Settings, conflicts_waited: int) -> None:
        kb_id, ds_id = settings.require("knowledge_base_id", "data_source_id")
        client = self._hook(settings).conn
        ended = ""
        description = f"Tailor kb_sync, catalog manifest {self.plan['manifest_hash'][:12]}"
        for _ in range(MAX_RESTARTS + 1):
            token = client_token(self.plan["manifest_hash"], self.plan["previous_hash"], ended)
            try:
                job = client.start_ingestion_job(
                    knowledgeBaseId=kb_id,
                    dataSourceId=ds_id,
                    clientToken=token,
                    description=description,
                )["ingestionJob"]
            except ClientError as err:
                if err.response["Error"]["Code"] != "ConflictException":
                    raise
                return self._wait_out_conflict(settings, client, conflicts_waited, err)
            if job["status"] not in ENDED_UNSYNCED:
                break
            ended = job["ingestionJobId"]  # the token's job ended unsynced: chain a new token
            self.log.info(
                "Ingestion job %s of this catalog change ended %s; starting a new one",
                ended,
                job["status"],
            )
        else:
            raise RuntimeError(
                f"{MAX_RESTARTS} ingestion jobs of this catalog change ended "
                f"unsynced; the last was {ended}"
            )
        self.log.info("Started ingestion job %s (clientToken %s)", job["ingestionJobId"], token)
        self._defer_on(settings, job["ingestionJobId"], "execute_complete", conflicts_waited)

    def _wait_out_conflict(self, settings: Settings, client, conflicts_waited: int, err) -> None:
        """One job at a time per Knowledge Base: wait for the running one, ours or a sibling's."""
        kb_id, ds_id = settings.require("knowledge_base_id", "data_source_id")
        sources = [ds_id] + [
            s["dataSourceId"]
            for s in client.list_data_sources(knowledgeBaseId=kb_id)["dataSourceSummaries"]
            if s["dataSourceId"] != ds_id
        ]
        running = next(
            (
                (source, jobs[0]["ingestionJobId"])
                for source in sources
                if (
                    jobs := client.list_ingestion_jobs(
                        knowledgeBaseId=kb_id,
                        dataSourceId=source,
                        filters=[
                            {
                                "attribute": "STATUS",
                                "operator": "EQ",
                                "values": sorted(RUNNING_STATES),
                            }
                        ],
                    )["ingestionJobSummaries"]
                )
            ),
            None,
        )
        if running is None or conflicts_waited >= MAX_CONFLICT_WAITS:
            raise err
        source, other = running
        self.log.info(
            "Knowledge base %s is busy with ingestion job %s (data source %s); "
            "waiting for it, then starting ours",
            kb_id,
            other,
            source,
        )
        self._defer_on(settings, other, "execute_after_conflict", conflicts_waited + 1, source)

    def _defer_on(
        self,
        settings: Settings,
        job_id: str,
        method: str,
        conflicts_waited: int,
        data_source_id: str | None = None,
    ) -> None:
        from tailor_airflow.ingestion_trigger import IngestionJobTrigger

        kb_id, ds_id = settings.require("knowledge_base_id", "data_source_id")
        ds_id = data_source_id or ds_id
        poll = settings.ingestion_poll_seconds
        attempts = max(1, settings.ingestion_timeout_minutes * 60 // poll)
        self.defer(
            trigger=IngestionJobTrigger(
                knowledge_base_id=kb_id,
                data_source_id=ds_id,
                ingestion_job_id=job_id,
                **aws_connection(settings),
                poll_interval=poll,
                max_attempts=attempts,
            ),
            method_name=method,
            kwargs={"conflicts_waited": conflicts_waited},
            timeout=timedelta(minutes=settings.ingestion_timeout_minutes + 5),
        )

    def execute_after_conflict(
        self, context: Context, event: dict[str, Any], conflicts_waited: int = 0
    ) -> None:
        job = event["job"]
        self.log.info("The other ingestion job %s ended %s", job["ingestionJobId"], job["status"])
        self._start_ingestion(load_settings(), conflicts_waited)

    def execute_complete(
        self, context: Context, event: dict[str, Any], conflicts_waited: int = 0
    ) -> dict[str, Any]:
        settings = load_settings()
        job = event["job"]
        if event["status"] == "timeout":
            raise TimeoutError(
                f"ingestion job {job['ingestionJobId']} still {job.get('status')} after "
                f"{settings.ingestion_timeout_minutes} min; statistics {job.get('statistics')}"
            )
        for warning in check_ingestion_job(job, settings.fail_on_failed_documents):
            self.log.warning(warning)
        self.log.info("Ingestion job %s COMPLETE: %s", job["ingestionJobId"], job["statistics"])
        return {"backend": "aws", **job}
