"""Assets other DAGs follow: an event means the knowledge base or the served model changed.

The `x-` scheme is Airflow's for custom URIs: it is not normalised, so declaring an asset does
not load every provider's URI handlers (the Amazon provider's S3 hook among them) at parse time.
"""

from airflow.sdk import Asset

KNOWLEDGE_BASE = Asset(name="tailor_knowledge_base", uri="x-tailor://knowledge-base")

MODEL = Asset(name="tailor_model", uri="x-tailor://model")

# nightly_eval's fine_tuned answers were significantly worse on products changed since the
# deployed model's training: finetune follows it (retrain_on_stale_nights)
FINE_TUNE_STALE = Asset(name="tailor_fine_tune_stale", uri="x-tailor://fine-tune-stale")
