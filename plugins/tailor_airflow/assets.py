"""Assets other DAGs follow: an event on the knowledge base means its content changed."""

from airflow.sdk import Asset

KNOWLEDGE_BASE = Asset(name="tailor_knowledge_base", uri="tailor://knowledge-base")
