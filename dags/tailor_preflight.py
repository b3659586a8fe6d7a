"""
### tailor_preflight — go / no-go before the first run on AWS

**Schedule:** none; trigger it by hand (or run `tailor preflight` on a machine with the same
Airflow connection and settings). Read-only but one probe object written and deleted under
Tailor's own prefix.

**preflight** checks, with the current Airflow connection and `tailor_settings`:
the settings are complete; Tailor's bucket is listable and writable; the Knowledge Base is
ACTIVE and its data source AVAILABLE and reading the catalog location; Bedrock model access
for the RAG model and every judge (lifecycle, authorization, entitlement, region); each of
those ids as Converse will be called with it (a bare id served on demand here, a profile id
that exists here, with the regions it routes to); the service role (SageMaker execution or
Bedrock customization) exists under the ARN given, its path included, and trusts its
service; the batch role likewise, and which models a large night batches (Service Quotas'
per-model minimums); the catalog queue exists, is named `tailor-*` and lets the catalog
bucket send; with SageMaker, the service quotas for the training and endpoint instance types
(AWS's default where no value is applied) and the endpoint's state; with Bedrock
customization, that the base model fine-tunes in the region. The log shows one table of
OK / FAIL with the fix for each failure, and the task fails on any FAIL.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from tailor_airflow.dag_defaults import DEFAULT_ARGS


@dag(
    dag_id="tailor_preflight",
    schedule=None,
    catchup=False,
    default_args={**DEFAULT_ARGS, "retries": 1},
    tags=["tailor", "aws"],
    doc_md=__doc__,
)
def tailor_preflight():
    @task
    def preflight() -> list[dict]:
        """Every check in one table; a FAIL fails the task with the table as the reason."""
        import logging
        from dataclasses import asdict

        from airflow.sdk.exceptions import AirflowFailException

        from tailor_airflow.config import load_settings
        from tailor_airflow.preflight import run_checks, table

        checks = run_checks(load_settings())
        report = table(checks)
        if not all(c.ok for c in checks):
            raise AirflowFailException("preflight found problems:\n" + report)
        logging.getLogger("tailor.preflight").info("preflight:\n%s", report)
        return [asdict(c) for c in checks]

    preflight()


tailor_preflight()
