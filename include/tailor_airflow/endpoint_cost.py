"""The endpoint's cost report from recorded scaling events."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tailor.endpoint.events import load_events
from tailor.endpoint.hours import EndpointCost, endpoint_cost, recorded_cost
from tailor.finetune.registry import read_current
from tailor.settings import Settings
from tailor.storage import write_atomic
from tailor_airflow.config import load_settings, models_root
from tailor_airflow.scaling import endpoint_root

log = logging.getLogger(__name__)


def hourly_price(settings: Settings) -> float | None:
    """What an hour of one serving copy costs: the instance's, or for a Bedrock custom model
    on provisioned throughput a model unit's (None until ``prices.model_unit_hour`` is set)."""
    current = read_current(models_root(settings)) or {}
    if current.get("serving") == "provisioned":
        return settings.prices.model_unit_hour
    return settings.prices.instance_hour


def recorded_endpoint_cost(
    settings: Settings, until: datetime | None = None, days: int = 30
) -> tuple[EndpointCost, int] | None:
    """`tailor.endpoint.hours.recorded_cost` over the events stored under ``data_root``, in
    the `days` before `until`, by default now: events carry the wall clock, so a window that
    ends at a logical date leaves out the run's own wake-up (a backfill's, a manual run's)."""
    until = until or datetime.now(UTC)
    events = load_events(endpoint_root(settings) / "events")
    return recorded_cost(
        events, until, days, hourly_price(settings) or 0.0, settings.endpoint_copies
    )


def report_endpoint_cost(days: int = 30) -> dict[str, Any]:
    """Hours and monthly cost over the `days` before now (this run's scaling included),
    written next to the events."""
    settings = load_settings()
    until = datetime.now(UTC)
    root = endpoint_root(settings)
    start = until - timedelta(days=days)
    recorded = recorded_endpoint_cost(settings, until, days)
    price = hourly_price(settings)
    if recorded is None:  # nothing recorded: the endpoint never changed (off, or always on)
        recorded = endpoint_cost(0.0, start, until, price or 0.0, settings.endpoint_copies), 0
    cost, events = recorded
    report = {
        "from": start.isoformat(),
        "until": until.isoformat(),
        "events": events,
        "price_per_hour": price,
        **asdict(cost),
        "share_of_always_on": round(cost.share_of_always_on, 4),
    }
    key = f"cost/{until:%Y-%m-%d}.json"
    if price is None:  # hours only: a cost at an unknown price would be a guess
        report.update(monthly_cost=None, always_on_monthly_cost=None, share_of_always_on=None)
        write_atomic(root / key, json.dumps(report, indent=2).encode())
        log.info(
            f"Endpoint: {cost.monthly_hours:.1f} h/month of provisioned throughput; set "
            f"prices.model_unit_hour for its cost; report at {root / key}"
        )
        return report
    write_atomic(root / key, json.dumps(report, indent=2).encode())
    log.info(
        f"Endpoint: {cost.copy_hours:.3f} copy-hours in the last {days} days -> "
        f"{cost.monthly_hours:.1f} h/month, ${cost.monthly_cost:,.2f}/month vs "
        f"${cost.always_on_monthly_cost:,.0f} always on ({cost.share_of_always_on:.0%}); "
        f"report at {root / key}"
    )
    return report
