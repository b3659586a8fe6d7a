"""Assets other DAGs follow: an event means the knowledge base or the served model changed."""

from airflow.sdk import Asset

KNOWLEDGE_BASE = Asset(name="tailor_knowledge_base", uri="tailor://knowledge-base")

MODEL = Asset(name="tailor_model", uri="tailor://model")
