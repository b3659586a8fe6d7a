"""Amazon provider hooks on Tailor's connection and region: the one place that reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from tailor.settings import Settings

if TYPE_CHECKING:  # the provider and botocore load boto3: only where a task calls AWS
    from botocore.config import Config

HookT = TypeVar("HookT")


def adaptive_retries() -> Config:
    """Throttling is expected when a pool of calls meets Bedrock's or SageMaker's quotas:
    botocore's adaptive mode retries with backoff and rate-limits the client instead of
    failing the task."""
    from botocore.config import Config

    return Config(retries={"mode": "adaptive", "max_attempts": 10})


def aws_connection(settings: Settings) -> dict[str, Any]:
    """Connection id and region, as a trigger takes them (a trigger serializes these, not
    the settings)."""
    return {"aws_conn_id": settings.aws_conn_id, "region_name": settings.region_name}


def aws_hook(hook_class: type[HookT], settings: Settings, **kwargs: Any) -> HookT:
    """`hook_class` on the settings' connection and region; `kwargs` as the hook takes them
    (``client_type`` for AwsBaseHook, ``config=adaptive_retries()`` for pooled calls)."""
    return hook_class(**aws_connection(settings), **kwargs)
