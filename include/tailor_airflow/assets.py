"""Assets other DAGs follow: an event means the knowledge base or the served model changed.

The `x-` scheme is Airflow's for custom URIs: it is not normalised, so declaring an asset does
not load every provider's URI handlers (the Amazon provider's S3 hook among them) at parse time.
"""

import os

from airflow.sdk import Asset, AssetAlias, AssetWatcher

KNOWLEDGE_BASE = Asset(name="tailor_knowledge_base", uri="x-tailor://knowledge-base")

MODEL = Asset(name="tailor_model", uri="x-tailor://model")

# nightly_eval's fine_tuned answers were significantly worse on products changed since the
# deployed model's training: finetune follows it (retrain_on_stale_nights)
FINE_TUNE_STALE = Asset(name="tailor_fine_tune_stale", uri="x-tailor://fine-tune-stale")
# ... emitted through an alias, on a stale night only: with the asset as its outlet the task
# would have to be skipped to emit nothing, and a skipped task's state lands when its process
# has been reaped — Airflow's supervisor can notice that up to 5 s late, the night's last 5 s
FINE_TUNE_STALE_FLAG = AssetAlias(name="tailor_fine_tune_stale_flag")


def catalog_changes() -> Asset | None:
    """The catalog bucket's S3 event notifications, read from the SQS queue `catalog_queue_url`
    by the provider's SqsSensorTrigger in the triggerer (an AssetWatcher); None when no queue
    is configured. Declared at parse time, so the setting is read from the environment
    (``AIRFLOW_VAR_TAILOR_SETTINGS``), like the schedules; only then is the provider imported.
    """
    if not os.environ.get("AIRFLOW_VAR_TAILOR_SETTINGS"):
        return None
    from tailor.settings import settings_from_env

    settings = settings_from_env()
    if not settings.catalog_queue_url:
        return None
    from airflow.providers.amazon.aws.triggers.sqs import SqsSensorTrigger

    trigger = SqsSensorTrigger(
        sqs_queue=settings.catalog_queue_url,
        aws_conn_id=settings.aws_conn_id,
        region_name=settings.region_name,
        max_messages=10,  # one upload's burst of notifications: one event, one sync
        wait_time_seconds=20,  # long polling: a notification is read as it arrives
        waiter_delay=5,
    )
    return Asset(
        name="tailor_catalog_changes",
        uri="x-tailor://catalog-changes",
        watchers=[AssetWatcher(name="tailor_catalog_queue", trigger=trigger)],
    )
