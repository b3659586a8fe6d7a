"""Hooks for the AWS services the Amazon provider has no hook class for: AwsBaseHook with the
client type fixed, so each service is one class (and tests can stub each one apart).

Imported only where a task calls AWS: the provider's base hook loads boto3, which DAG files
must not pay for at parse time.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook


class ApplicationAutoScalingHook(AwsBaseHook):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, client_type="application-autoscaling", **kwargs)


class CloudWatchHook(AwsBaseHook):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, client_type="cloudwatch", **kwargs)
