"""What a describe call says about an endpoint's serving copies, and which errors mean what.

Like the provider's sensors, every state not listed here is a failure, never a wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COMPONENT_STATES = {"InService", "Creating", "Updating", "Deleting"}
ENDPOINT_SETTLED = {"InService"}
ENDPOINT_MOVING = {
    "Creating",
    "Updating",
    "SystemUpdating",
    "RollingBack",
    "Deleting",
    "OutOfService",
}


class EndpointNotFound(LookupError):
    """The configured endpoint or inference component does not exist."""


class EndpointAsleep(RuntimeError):
    """The endpoint has no serving copies right now: it is scaled to zero, not broken."""


@dataclass(frozen=True)
class Observation:
    copies: int | None  # None while the endpoint is between states
    state: str
    failure: str | None = None


def observe_inference_component(description: dict[str, Any]) -> Observation:
    status = description.get("InferenceComponentStatus")
    runtime = description.get("RuntimeConfig") or {}
    current = int(runtime.get("CurrentCopyCount", 0))
    state = f"{status}, {current} of {runtime.get('DesiredCopyCount')} copies"
    if status == "Failed":
        return Observation(current, state, description.get("FailureReason") or "component failed")
    if status not in COMPONENT_STATES:
        return Observation(current, state, f"unrecognised inference component state {status!r}")
    return Observation(current, state)


def observe_endpoint(description: dict[str, Any] | None) -> Observation:
    """A legacy endpoint: absent is 0 copies; only InService counts its instances."""
    if description is None:
        return Observation(0, "absent")
    status = description.get("EndpointStatus")
    if status in ENDPOINT_SETTLED:
        variants = description.get("ProductionVariants") or []
        return Observation(sum(v.get("CurrentInstanceCount", 0) for v in variants), status)
    if status in ENDPOINT_MOVING:
        return Observation(None, status)
    return Observation(None, status, description.get("FailureReason") or f"endpoint is {status}")


THROUGHPUT_MOVING = {"Creating", "Updating"}


def observe_provisioned_throughput(description: dict[str, Any] | None) -> Observation:
    """Bedrock provisioned throughput: absent is 0 copies (deleted off-hours), InService 1."""
    if description is None:
        return Observation(0, "absent")
    status = description.get("status")
    if status == "InService":
        return Observation(1, f"InService, {description.get('modelUnits')} model unit(s)")
    if status in THROUGHPUT_MOVING:
        return Observation(None, status)
    return Observation(None, status, description.get("failureMessage") or f"throughput is {status}")


def is_not_found(code: str, message: str) -> bool:
    """SageMaker says "Could not find ..." for most resources and "Requested resource not
    found" for training jobs, both as validation errors."""
    text = message.lower()
    if code in {"ResourceNotFound", "ResourceNotFoundException"}:  # Bedrock says the latter
        return True
    return code in {"ValidationException", "ValidationError"} and (
        "could not find" in text or "not found" in text
    )


def is_no_capacity(code: str, message: str) -> bool:
    """An invocation of an inference component scaled to zero copies."""
    return code in {"ValidationException", "ValidationError"} and "capacity" in message.lower()
