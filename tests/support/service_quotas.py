"""Service Quotas as AWS lists them, for the strict aws emulation (moto's knows few services).

ListServiceQuotas lists a service's quotas that have an applied value, and leaves out those
whose applied value is unknown; ListAWSDefaultServiceQuotas lists every quota with AWS's
default. Both answer per ServiceCode, every reply checked against botocore's model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tests.support.aws_http import FakeHttp
from tests.support.aws_iam import ACCOUNT

SERVICE_NAMES = {"sagemaker": "Amazon SageMaker", "bedrock": "Amazon Bedrock"}


@dataclass(frozen=True)
class Quota:
    service: str  # its ServiceCode
    name: str
    value: float
    applied: bool = True  # False: ListServiceQuotas leaves it out


def listed(quota: Quota) -> dict:
    """The quota as both listings carry it."""
    code = "L-" + hashlib.sha256(quota.name.encode()).hexdigest()[:8].upper()
    return {
        "ServiceCode": quota.service,
        "ServiceName": SERVICE_NAMES[quota.service],
        "QuotaCode": code,
        "QuotaArn": f"arn:aws:servicequotas:us-east-1:{ACCOUNT}:{quota.service}/{code}",
        "QuotaName": quota.name,
        "Value": quota.value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def answer_quotas(http: FakeHttp, quotas: list[Quota]) -> None:
    """Both listings, for the ServiceCode each request names."""

    def listing(applied_only: bool):
        return lambda where, body: {
            "Quotas": [
                listed(q)
                for q in quotas
                if q.service == body["ServiceCode"] and (q.applied or not applied_only)
            ]
        }

    http.respond("ServiceQuotasV20190624.ListServiceQuotas", listing(applied_only=True))
    http.respond("ServiceQuotasV20190624.ListAWSDefaultServiceQuotas", listing(applied_only=False))
