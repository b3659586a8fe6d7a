"""Rules for Bedrock Knowledge Base ingestion jobs, kept apart from the AWS calls.

The provider's sensor treats STOPPED as success and never looks at failed documents;
here only COMPLETE succeeds, and failed documents fail the sync unless told to warn.
"""

from __future__ import annotations

import hashlib
from typing import Any

# STOPPING is not an end: the job still holds the data source until it is STOPPED
RUNNING_STATES = frozenset({"STARTING", "IN_PROGRESS", "STOPPING"})
# a job that ended without syncing: Bedrock ignores a token it has seen, so retrying the
# transition needs a new one
ENDED_UNSYNCED = frozenset({"FAILED", "STOPPED"})


class IngestionJobFailed(RuntimeError):
    """The ingestion job did not complete cleanly; the message says why."""


def client_token(manifest_hash: str, previous_hash: str | None, after_job: str = "") -> str:
    """Idempotency token for one catalog transition: a retried task re-attaches to its job.

    `after_job` names the transition's last job when it ended FAILED or STOPPED: the new
    token starts a new job, and a retry that walks the same chain re-attaches to it.
    """
    key = f"{previous_hash or '-'}->{manifest_hash}" + (f" after {after_job}" if after_job else "")
    return f"tailor-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


def summarise_job(job: dict[str, Any]) -> dict[str, Any]:
    """The JSON-safe part of a job description that the decision and the logs need."""
    return {
        "ingestionJobId": job.get("ingestionJobId"),
        "status": job.get("status"),
        "statistics": dict(job.get("statistics") or {}),
        "failureReasons": list(job.get("failureReasons") or []),
    }


def check_ingestion_job(job: dict[str, Any], fail_on_failed_documents: bool = True) -> list[str]:
    """Raise unless the job is COMPLETE; return warnings (failed documents, when tolerated)."""
    status = job.get("status")
    reasons = "; ".join(job.get("failureReasons") or []) or "no failure reasons given"
    if status != "COMPLETE":
        raise IngestionJobFailed(
            f"ingestion job {job.get('ingestionJobId')} ended {status}: {reasons}"
        )
    stats = job.get("statistics") or {}
    failed = int(stats.get("numberOfDocumentsFailed", 0))
    if not failed:
        return []
    message = (
        f"ingestion job {job.get('ingestionJobId')}: {failed} of "
        f"{stats.get('numberOfDocumentsScanned', '?')} scanned documents failed "
        f"({stats.get('numberOfNewDocumentsIndexed', 0)} new, "
        f"{stats.get('numberOfModifiedDocumentsIndexed', 0)} modified indexed); {reasons}"
    )
    if fail_on_failed_documents:
        raise IngestionJobFailed(message)
    return [message]
