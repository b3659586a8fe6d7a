"""Service Quotas as they apply to this account, AWS's default where no value is applied.

ListServiceQuotas leaves a quota out when its applied value is unknown (botocore's model: "If
the applied quota value is not available for a quota, the quota is not retrieved"), so reading
a missing quota as 0 fails an account that has the default. A quota missing there is read from
ListAWSDefaultServiceQuotas, which also carries the quota code that GetAWSDefaultServiceQuota
would need: one listing instead of a lookup per quota.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook

from tailor.settings import Settings
from tailor_airflow.hooks import aws_hook


def quota_values(settings: Settings, service_code: str, names: Iterable[str]) -> dict[str, float]:
    """Each named quota's applied value, else its default; a name AWS lists in neither (a
    quota this region does not have) is absent from the result."""
    client = aws_hook(AwsBaseHook, settings, client_type="service-quotas").conn
    wanted = set(names)
    found = _listed(client, "list_service_quotas", service_code, wanted)
    if missing := wanted - found.keys():
        found |= _listed(client, "list_aws_default_service_quotas", service_code, missing)
    return found


def quotas_starting(settings: Settings, service_code: str, prefix: str) -> dict[str, float]:
    """Every quota whose name starts with `prefix` (a per-model quota, e.g. Bedrock's "Minimum
    number of records per batch inference job for <model name>"): its applied value, else
    AWS's default. Both listings are read: which names exist is not known beforehand."""
    client = aws_hook(AwsBaseHook, settings, client_type="service-quotas").conn
    named = _Prefixed(prefix)
    defaults = _listed(client, "list_aws_default_service_quotas", service_code, named)
    return defaults | _listed(client, "list_service_quotas", service_code, named)


@dataclass(frozen=True)
class _Prefixed:
    """The quota names starting with `prefix`, as a container `_listed` can test."""

    prefix: str

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.startswith(self.prefix)


def _listed(client, operation: str, service_code: str, wanted: Container[str]) -> dict[str, float]:
    found: dict[str, float] = {}
    for page in client.get_paginator(operation).paginate(ServiceCode=service_code):
        found |= {q["QuotaName"]: q["Value"] for q in page["Quotas"] if q["QuotaName"] in wanted}
    return found
