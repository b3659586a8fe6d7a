"""The aws night's shared scene: names, settings and what moto lacks, answered below the hooks'
real botocore clients (aws_http). The fixtures that build it are in tests/dags/conftest.py."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from tailor.evaluation.batch import MINIMUM_QUOTA
from tailor.local.models import minilm_dir
from tests.support.aws_iam import ACCOUNT
from tests.support.bedrock_models import answer_model_catalog
from tests.support.paths import SAMPLE_CATALOG
from tests.support.service_quotas import Quota, answer_quotas

BUCKET = "tailor-e2e"
KB, DATA_SOURCE = "KB0E2E0001", "DS0E2E0001"
ENDPOINT, COMPONENT = "tailor-endpoint", "tailor-ft-e2e"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/tailor-sagemaker"
JUDGES = [
    "us.amazon.nova-pro-v1:0",
    "google.gemma-3-27b-it",
    "anthropic.claude-3-haiku-20240307-v1:0",
]
NIGHT = datetime(2026, 11, 20, 1, tzinfo=UTC)
AWS_SETTINGS = {
    "backend": "aws",
    "data_root": f"s3://{BUCKET}/tailor",
    "region_name": "us-east-1",
    "knowledge_base_id": KB,
    "data_source_id": DATA_SOURCE,
    "endpoint_name": ENDPOINT,
    "judges": JUDGES,
    "bertscore_model": str(minilm_dir()),
    "judge_controls": 1,
    "endpoint_poll_seconds": 1,
    "review_answers": 0,  # a person's review is answered on the standalone (test_review_*)
}


def retried(run) -> dict[str, int]:
    """The tasks of `run` that needed more than one try, with their try numbers."""
    return {ti.task_id: ti.try_number for ti in run.get_task_instances() if ti.try_number > 1}


def arn(resource: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{ACCOUNT}:{resource}"


def described_component(name: str, copies: int) -> dict:
    """DescribeInferenceComponent as SageMaker answers it (every required member)."""
    return {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn(f"inference-component/{name}"),
        "EndpointName": ENDPOINT,
        "EndpointArn": arn(f"endpoint/{ENDPOINT}"),
        "InferenceComponentStatus": "InService",
        "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
        "CreationTime": 1763600000,
        "LastModifiedTime": 1763600000,
    }


def canned_bedrock_and_components(http) -> None:
    http.respond(
        "SageMaker.DescribeInferenceComponent",
        lambda url, body: described_component(COMPONENT, copies=1),
    )
    http.respond(
        f"/knowledgebases/{KB}/retrieve",
        lambda url, body: {
            "retrievalResults": [
                {
                    "content": {
                        "text": "Name: Halden BrewPro 3 Espresso Machine\nThe tank holds 1.8 litres."
                    },
                    "location": {
                        "type": "S3",
                        "s3Location": {"uri": f"s3://{BUCKET}/catalog/p.txt"},
                    },
                    "metadata": {"x-amz-bedrock-kb-chunk-id": "chunk-brewpro-0"},
                    "score": 0.62,
                }
            ]
        },
    )

    def converse(url: str, body: dict) -> dict:
        prompt = body["messages"][0]["content"][0]["text"]
        text = "It holds 1.8 litres."
        if "Reply with JSON only" in prompt:  # a judge: right answer 9, ours 7, wrong 2
            reference = re.search(r"Reference answer: (.*)\n", prompt).group(1)
            candidate = re.search(r"Candidate answer: (.*)\n", prompt).group(1)
            score = 9 if candidate == reference else 7 if "1.8 litres" in candidate else 2
            text = json.dumps({"score": score, "reason": "compared with the reference"})
        return {
            "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
            "stopReason": "end_turn",
            "usage": {"inputTokens": 310, "outputTokens": 12, "totalTokens": 322},
            "metrics": {"latencyMs": 350},
        }

    http.respond("/converse", converse)
    canned_invocations(http)

    canned_model_access(http, legacy="claude-3-haiku")


def canned_invocations(http) -> None:
    """The endpoint's container answers every invocation with the fine-tuned model's answer."""
    http.respond(
        f"/endpoints/{ENDPOINT}/invocations",
        lambda url, body: {
            "generated_text": "The BrewPro 3 tank holds 1.8 litres.",
            "details": {"generated_tokens": 11},
        },
    )


def canned_model_access(http, legacy: str = "", authorized: bool = True) -> None:
    """GetFoundationModel (models whose id contains `legacy` are LEGACY), GetInferenceProfile
    and GetFoundationModelAvailability (all authorized, or none): tests/support/bedrock_models.py."""
    answer_model_catalog(http, legacy=legacy, authorized=authorized)


def async_clients_share_the_canned_http(monkeypatch) -> None:
    """Triggers poll with the hook's async client; here it answers like the sync one."""
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook

    from tests.support.aws_stubs import AsyncClient

    async def get_async_conn(self):
        return AsyncClient(self.conn)

    monkeypatch.setattr(AwsGenericHook, "get_async_conn", get_async_conn)


INGESTION_JOBS = f"/knowledgebases/{KB}/datasources/{DATA_SOURCE}/ingestionjobs"


def canned_ingestion(http) -> None:
    """StartIngestionJob starts JOB0000001; GetIngestionJob finds it COMPLETE."""
    job = {
        "knowledgeBaseId": KB,
        "dataSourceId": DATA_SOURCE,
        "ingestionJobId": "JOB0000001",
        "startedAt": 1763600000,
        "updatedAt": 1763600000,
    }

    def start(url: str, body: dict) -> dict:
        assert url.startswith("PUT "), url  # StartIngestionJob; a POST here would be a listing
        return {"ingestionJob": {**job, "status": "STARTING"}}

    http.respond(f"{INGESTION_JOBS}/ ", start)
    http.respond(
        f"{INGESTION_JOBS}/JOB0000001",
        lambda url, body: {
            "ingestionJob": {
                **job,
                "status": "COMPLETE",
                "statistics": {
                    "numberOfDocumentsScanned": 1,
                    "numberOfNewDocumentsIndexed": 1,
                    "numberOfModifiedDocumentsIndexed": 0,
                    "numberOfDocumentsDeleted": 0,
                    "numberOfDocumentsFailed": 0,
                },
            }
        },
    )


def upload_catalog(s3) -> None:
    s3.put_object(
        Bucket=BUCKET, Key="tailor/catalog/product_catalog.txt", Body=SAMPLE_CATALOG.read_bytes()
    )


# tailor preflight ------------------------------------
def preflight_quotas(training: float) -> list[Quota]:
    """SageMaker's instance quotas; Bedrock's batch minimums for two of the three models."""
    return [
        Quota("sagemaker", "ml.g5.12xlarge for training job usage", training),
        Quota("sagemaker", "ml.g5.12xlarge for endpoint usage", 2.0),
        Quota("bedrock", f"{MINIMUM_QUOTA}Llama 3.1 8B Instruct", 100.0),
        Quota("bedrock", f"{MINIMUM_QUOTA}Nova Pro", 100.0, applied=False),
    ]


def canned_preflight(
    http, *, catalog_prefix="tailor/catalog/", training_quota=2.0, authorized=True
) -> None:
    """What moto lacks for preflight: the Knowledge Base, its data source, quotas, model access."""
    kb_arn = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:knowledge-base/{KB}"
    http.respond(
        f"/knowledgebases/{KB}/datasources/{DATA_SOURCE}",
        lambda url, body: {
            "dataSource": {
                "knowledgeBaseId": KB,
                "dataSourceId": DATA_SOURCE,
                "name": "catalog",
                "status": "AVAILABLE",
                "dataSourceConfiguration": {
                    "type": "S3",
                    "s3Configuration": {
                        "bucketArn": f"arn:aws:s3:::{BUCKET}",
                        "inclusionPrefixes": [catalog_prefix],
                    },
                },
                "createdAt": 1763600000,
                "updatedAt": 1763600000,
            }
        },
    )
    http.respond(
        f"/knowledgebases/{KB} ",
        lambda url, body: {
            "knowledgeBase": {
                "knowledgeBaseId": KB,
                "name": "tailor-catalog",
                "knowledgeBaseArn": kb_arn,
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonBedrockExecutionRoleForKB",
                "knowledgeBaseConfiguration": {
                    "type": "VECTOR",
                    "vectorKnowledgeBaseConfiguration": {
                        "embeddingModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"
                    },
                },
                "status": "ACTIVE",
                "createdAt": 1763600000,
                "updatedAt": 1763600000,
            }
        },
    )
    answer_quotas(http, preflight_quotas(training_quota))

    canned_model_access(http, authorized=authorized)
