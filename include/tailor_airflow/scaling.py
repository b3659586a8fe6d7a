"""Operators that scale the model endpoint, and the setup/teardown pair that work uses.

``ScaleEndpointOperator`` sets the serving copies to N (0 allowed) and waits deferrably
until the endpoint reports N; asking for the count it already has returns at once. A
scale-down skips, saying who holds it, while another run holds a lease. Every change is
recorded as a scaling event, from which ``endpoint_schedule`` proves the hours.
``WakeEndpointOperator`` (setup) takes a lease and brings the endpoint up for the work;
``RestoreEndpointOperator`` (teardown) releases it and puts back the scheduled state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import BaseOperator, Context
from airflow.sdk.exceptions import AirflowSkipException

from tailor.endpoint.events import ScalingEvent, record_event
from tailor.endpoint.leases import LeaseBook
from tailor.endpoint.observe import Observation
from tailor.settings import Settings
from tailor_airflow.config import data_layout, load_settings
from tailor_airflow.dag_defaults import endpoint_schedule
from tailor_airflow.endpoint import Endpoint, endpoint_for


class ScalingFailed(RuntimeError):
    """The endpoint did not reach the asked-for copies; the message has the last state."""


def endpoint_root(settings: Settings):
    return data_layout(settings).endpoint


def lease_book(settings: Settings) -> LeaseBook:
    return LeaseBook(endpoint_root(settings) / "leases")


def scheduled_copies(settings: Settings, when: datetime) -> int:
    """What the schedule asks for at `when`: `endpoint_copies` in working hours, else 0."""
    return settings.endpoint_copies if endpoint_schedule().copies_at(when) else 0


def lease_holder(context: Context) -> str:
    return f"{context['dag'].dag_id}/{context['run_id']}"


class ScaleEndpointOperator(BaseOperator):
    """Scale the endpoint to ``target_copies`` and wait, deferred, until it serves them.

    :param target_copies: copies to serve (templated; 0 scales to zero); None or empty means
        the schedule's state at the run's time (``endpoint_copies`` in working hours, else 0).
    :param reason: why, recorded with the scaling event (templated); default: the task and DAG.
    """

    template_fields = ("target_copies", "reason")
    ui_color = "#fdebd0"

    def __init__(
        self, *, target_copies: int | None = None, reason: str = "", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.target_copies = target_copies
        self.reason = reason

    # -- what to ask for ----------------------------------------------------------------
    def target(self, context: Context, settings: Settings) -> int:
        if self.target_copies not in (None, "", "None"):
            return int(self.target_copies)
        return scheduled_copies(settings, context["dag_run"].run_after or datetime.now(UTC))

    def execute(self, context: Context) -> dict[str, Any]:
        settings = load_settings()
        return self.scale(context, settings, endpoint_for(settings), self.target(context, settings))

    # -- doing it -----------------------------------------------------------------------
    def scale(
        self,
        context: Context,
        settings: Settings,
        endpoint: Endpoint,
        target: int,
        seen: Observation | None = None,
    ) -> dict[str, Any]:
        """Ask for `target` copies and defer until they serve; `seen`: a fresh observation."""
        if endpoint.max_copies == 0:
            raise AirflowSkipException(f"{endpoint.description}: nothing to scale")
        if target < 0 or (endpoint.max_copies is not None and target > endpoint.max_copies):
            raise ValueError(f"{endpoint.description} cannot serve {target} copies")
        seen = seen or endpoint.observe()
        if target == 0:
            holders = lease_book(settings).live(excluding=lease_holder(context))
            if holders:
                raise AirflowSkipException(
                    f"not scaling {endpoint.description} to zero: in use by "
                    + ", ".join(f"{h.holder} (lease until {h.expires_at})" for h in holders)
                )
        if seen.copies == target:
            self.log.info(
                "%s already serves %d copies (%s)", endpoint.description, target, seen.state
            )
            return {"copies": target, "changed": False}
        poll = settings.endpoint_poll_seconds
        attempts = max(1, settings.endpoint_timeout_minutes * 60 // poll)
        timeout = timedelta(minutes=settings.endpoint_timeout_minutes + 2)
        if seen.copies is None and seen.state == "Deleting":  # a legacy endpoint must be gone first
            self.log.info(
                "%s is still being deleted; waiting before recreating it", endpoint.description
            )
            self.defer(
                trigger=endpoint.trigger(0, poll, attempts), method_name="resume", timeout=timeout
            )
        endpoint.request(target)
        record_event(
            endpoint_root(settings) / "events",
            ScalingEvent(
                at=datetime.now(UTC).isoformat(),
                from_copies=seen.copies or 0,
                to_copies=target,
                reason=self.reason or f"{self.task_id} in {context['dag'].dag_id}",
                run_id=context["run_id"],
            ),
        )
        self.log.info(
            "Asked %s for %d copies (was %s); waiting", endpoint.description, target, seen.state
        )
        self.defer(
            trigger=endpoint.trigger(target, poll, attempts),
            method_name="execute_complete",
            kwargs={"target": target},
            timeout=timeout,
        )

    def resume(self, context: Context, event: dict[str, Any]) -> dict[str, Any]:
        self._check(event, "leave Deleting")
        return self.execute(context)

    def execute_complete(
        self, context: Context, event: dict[str, Any], target: int = 0
    ) -> dict[str, Any]:
        self._check(event, f"reach {target} copies")
        self.log.info("Endpoint at %d copies: %s", target, event["state"])
        return {"copies": target, "changed": True}

    @staticmethod
    def _check(event: dict[str, Any], goal: str) -> None:
        """Our triggers end "converged"; botocore's waiter (endpoint deleted) ends "success"."""
        if event["status"] in ("converged", "success"):
            return
        detail = event.get("failure") or event.get("message") or f"still {event.get('state')}"
        raise ScalingFailed(f"endpoint did not {goal} ({event['status']}): {detail}")


class WakeEndpointOperator(ScaleEndpointOperator):
    """Setup for work: take a lease (it expires on its own), then make sure copies are up.

    Takes ScaleEndpointOperator's ``reason``; the target is at least ``endpoint_copies``.
    """

    def execute(self, context: Context) -> dict[str, Any]:
        settings = load_settings()
        lease = lease_book(settings).acquire(
            lease_holder(context), context["run_id"], settings.lease_minutes
        )
        self.log.info("Lease %s held until %s", lease.holder, lease.expires_at)
        endpoint = endpoint_for(settings)
        if endpoint.max_copies == 0:
            self.log.info("%s: nothing to wake", endpoint.description)
            return {"copies": 0, "changed": False}
        seen = endpoint.observe()
        self.reason = self.reason or f"woken for {lease.holder}"
        target = max(seen.copies or 0, settings.endpoint_copies)
        return self.scale(context, settings, endpoint, target, seen)


class RestoreEndpointOperator(ScaleEndpointOperator):
    """Teardown for work: release the lease and return to the scheduled state (for now).

    Takes ScaleEndpointOperator's ``reason``; scaling down skips while another run holds a lease.
    """

    def execute(self, context: Context) -> dict[str, Any]:
        settings = load_settings()
        holder = lease_holder(context)
        lease_book(settings).release(holder)
        endpoint = endpoint_for(settings)
        if endpoint.max_copies == 0:
            self.log.info("%s: nothing to restore", endpoint.description)
            return {"copies": 0, "changed": False}
        self.reason = self.reason or f"schedule restored after {holder}"
        return self.scale(
            context, settings, endpoint, scheduled_copies(settings, datetime.now(UTC))
        )
