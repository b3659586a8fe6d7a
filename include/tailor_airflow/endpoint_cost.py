"""The endpoint's cost report from recorded scaling events."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from tailor.endpoint.events import load_events
from tailor.endpoint.hours import EndpointCost, endpoint_cost, recorded_cost
from tailor.settings import Settings
from tailor.storage import write_atomic
from tailor_airflow.config import load_settings
from tailor_airflow.scaling import endpoint_root

log = logging.getLogger(__name__)


def recorded_endpoint_cost(
    settings: Settings, until: datetime | None = None, days: int = 30
) -> tuple[EndpointCost, int] | None:
    """`tailor.endpoint.hours.recorded_cost` over the events stored under ``data_root``, in
    the `days` before `until`, by default now: events carry the wall clock, so a window that
    ends at a logical date leaves out the run's own wake-up (a backfill's, a manual run's)."""
    until = until or datetime.now(UTC)
    events = load_events(endpoint_root(settings) / "events")
    return recorded_cost(
        events, until, days, settings.prices.instance_hour, settings.endpoint_copies
    )


def report_endpoint_cost(days: int = 30) -> dict[str, Any]:
    """Hours and monthly cost over the `days` before now (this run's scaling included),
    written next to the events."""
    settings = load_settings()
    until = datetime.now(UTC)
    root = endpoint_root(settings)
    start = until - timedelta(days=days)
    recorded = recorded_endpoint_cost(settings, until, days)
    if recorded is None:  # nothing recorded: the endpoint never changed (off, or always on)
        recorded = endpoint_cost(0.0, start, until, settings.prices.instance_hour,
                                 settings.endpoint_copies), 0  # fmt: skip
    cost, events = recorded
    report = {
        "from": start.isoformat(),
        "until": until.isoformat(),
        "events": events,
        "price_per_hour": settings.prices.instance_hour,
        **asdict(cost),
        "share_of_always_on": round(cost.share_of_always_on, 4),
    }
    key = f"cost/{until:%Y-%m-%d}.json"
    write_atomic(root / key, json.dumps(report, indent=2).encode())
    log.info(
        f"Endpoint: {cost.copy_hours:.3f} copy-hours in the last {days} days -> "
        f"{cost.monthly_hours:.1f} h/month, ${cost.monthly_cost:,.2f}/month vs "
        f"${cost.always_on_monthly_cost:,.0f} always on ({cost.share_of_always_on:.0%}); "
        f"report at {root / key}"
    )
    return report
