"""
### kb_sync — keep the Knowledge Base in step with the product catalog

**Schedule:** daily at 02:00 (`TAILOR_TIMEZONE`, default Airflow's timezone); no catchup;
one run at a time. With the setting `catalog_queue_url` (an SQS queue receiving the catalog
bucket's S3 event notifications), also within a minute of every catalog change: an
AssetWatcher (the provider's `SqsSensorTrigger`) turns a batch of notifications into one
`tailor_catalog_changes` event; events during a run start at most one more run.

1. **plan_sync** reads and validates every catalog file (a bad record fails here, naming
   file and line, before anything is touched), builds the manifest (key, size, sha256 per
   file; a hash per product) and compares it with the last successful sync.
2. **catalog_changed** stops the run when nothing changed, and logs why: no ingestion job.
3. **sync_knowledge_base** — `local`: re-embeds only the added/changed products into the
   versioned LanceDB store and deletes removed ones; `aws`: starts a Bedrock ingestion job
   (idempotent `clientToken`), waits in the triggerer, and succeeds only on `COMPLETE`
   with no failed documents.
4. **record_sync** commits the manifest and emits the `tailor_knowledge_base` asset event
   (manifest hash, products added/changed/removed) that evaluation follows.

**Params**
- `allow_mass_delete` — allow a sync that empties the catalog or removes more than half
  of the products. Off by default: such a sync is refused.

Backend and locations come from the Variables `tailor_backend` and `tailor_settings`.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import AssetOrTimeSchedule, Param, dag, task

from tailor_airflow.assets import KNOWLEDGE_BASE, catalog_changes
from tailor_airflow.dag_defaults import DEFAULT_ARGS, cron
from tailor_airflow.knowledge_base import SyncKnowledgeBaseOperator

DAILY = cron("0 2 * * *")
CATALOG_CHANGES = catalog_changes()  # with catalog_queue_url: every S3 change, and daily


@dag(
    dag_id="kb_sync",
    schedule=AssetOrTimeSchedule(timetable=DAILY, assets=CATALOG_CHANGES)
    if CATALOG_CHANGES
    else DAILY,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["tailor", "knowledge-base"],
    doc_md=__doc__,
    params={
        "allow_mass_delete": Param(
            False,
            type="boolean",
            title="Allow mass delete",
            description="Allow a sync that empties the catalog or removes more than half "
            "of the products. Leave off unless the catalog really shrank.",
        ),
    },
)
def kb_sync():
    @task
    def plan_sync(params: dict[str, Any]) -> dict[str, Any]:
        from tailor_airflow.knowledge_base import plan_catalog_sync

        return plan_catalog_sync(params["allow_mass_delete"])

    @task.short_circuit
    def catalog_changed(plan: dict[str, Any]) -> bool:
        return plan["changed"]  # plan_sync logged the reason

    @task(outlets=[KNOWLEDGE_BASE])
    def record_sync(plan: dict[str, Any], result: dict[str, Any], **context: Any) -> str:
        from tailor.kb_sync import record_sync as record
        from tailor_airflow.config import kb_state_root, load_settings

        key = record(kb_state_root(load_settings()), plan, result, context["run_id"])
        context["outlet_events"][KNOWLEDGE_BASE].extra = {
            "manifest_hash": plan["manifest_hash"],
            "products": plan["products"],
            "added": len(plan["added"]),
            "changed": len(plan["modified"]),
            "removed": len(plan["removed"]),
            "backend": result["backend"],
            "record": key,
        }
        return key  # the sync record's key, logged as the task's return value

    plan = plan_sync()
    synced = SyncKnowledgeBaseOperator(task_id="sync_knowledge_base", plan=plan)
    catalog_changed(plan) >> synced
    record_sync(plan, synced.output)


kb_sync()
