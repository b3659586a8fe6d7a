"""Endpoint hours and monthly cost from recorded scaling events, next to the 24/7 figure.

The reference prices the always-on ml.g5.12xlarge endpoint at $7.09/h over 720 hours a
month ($5,105); the same assumptions are the defaults here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tailor.endpoint.events import ScalingEvent

HOURS_PER_MONTH = 720


@dataclass(frozen=True)
class EndpointCost:
    period_hours: float
    copy_hours: float
    monthly_hours: float
    monthly_cost: float
    always_on_monthly_cost: float

    @property
    def share_of_always_on(self) -> float:
        return (
            self.monthly_cost / self.always_on_monthly_cost if self.always_on_monthly_cost else 0.0
        )


def copy_hours(
    changes: Iterable[tuple[datetime, int]], start: datetime, end: datetime, initial: int = 0
) -> float:
    """Integrate the copy count over [start, end); `initial` holds before the first change."""
    copies, cursor, total = initial, start, 0.0
    for moment, new_copies in sorted(changes, key=lambda change: change[0]):
        if moment >= end:
            break
        if moment > cursor:
            total += copies * (moment - cursor).total_seconds() / 3600
            cursor = moment
        copies = new_copies
    return total + copies * max(0.0, (end - cursor).total_seconds()) / 3600


def endpoint_cost(
    hours: float, start: datetime, end: datetime, price_per_hour: float, copies_when_up: int = 1
) -> EndpointCost:
    """Scale the period's copy-hours to a month and price it, beside always-on."""
    period = (end - start).total_seconds() / 3600
    monthly = hours / period * HOURS_PER_MONTH if period else 0.0
    return EndpointCost(
        period_hours=round(period, 3),
        copy_hours=round(hours, 3),
        monthly_hours=round(monthly, 3),  # priced unrounded: a short night still counts
        monthly_cost=round(monthly * price_per_hour, 2),
        always_on_monthly_cost=round(HOURS_PER_MONTH * copies_when_up * price_per_hour, 2),
    )


def recorded_cost(
    events: Sequence[ScalingEvent],
    until: datetime,
    days: int,
    price_per_hour: float,
    copies_when_up: int = 1,
) -> tuple[EndpointCost, int] | None:
    """Monthly hours and cost from the scaling events of the `days` before `until`, and how
    many events that window holds; None when nothing was ever recorded. The copy count at
    the window's start is the last change before it, else the first event's starting count."""
    if not events:
        return None
    start = until - timedelta(days=days)
    changes = [(datetime.fromisoformat(e.at), e.to_copies) for e in events]
    before = [copies for moment, copies in changes if moment < start]
    initial = before[-1] if before else events[0].from_copies
    hours = copy_hours(changes, start, until, initial)
    cost = endpoint_cost(hours, start, until, price_per_hour, copies_when_up)
    return cost, sum(start <= moment < until for moment, _ in changes)
