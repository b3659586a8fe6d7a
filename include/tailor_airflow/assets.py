"""Assets other DAGs follow: an event means the knowledge base or the served model changed.

The `x-` scheme is Airflow's for custom URIs: it is not normalised, so declaring an asset does
not load every provider's URI handlers (the Amazon provider's S3 hook among them) at parse time.
"""

from airflow.sdk import Asset

KNOWLEDGE_BASE = Asset(name="tailor_knowledge_base", uri="x-tailor://knowledge-base")

MODEL = Asset(name="tailor_model", uri="x-tailor://model")
