"""Endpoint schedule, leases, scaling events, cost and state rules, with fixed inputs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tailor.endpoint.events import ScalingEvent, load_events, record_event
from tailor.endpoint.hours import copy_hours, endpoint_cost
from tailor.endpoint.leases import LeaseBook
from tailor.endpoint.observe import (
    is_no_capacity,
    is_not_found,
    observe_endpoint,
    observe_inference_component,
)
from tailor.endpoint.schedule import EndpointSchedule

BERLIN = ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0, zone=UTC) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=zone)  # 2026-11-16 is a Monday


def test_schedule_is_up_on_working_days_in_its_timezone():
    schedule = EndpointSchedule(timezone="Europe/Berlin")
    assert schedule.copies_at(at(16, 6, 59, BERLIN)) == 0
    assert schedule.copies_at(at(16, 7, 0, BERLIN)) == 1  # exactly at the up time
    assert schedule.copies_at(at(16, 19, 59, BERLIN)) == 1
    assert schedule.copies_at(at(16, 20, 0, BERLIN)) == 0
    assert schedule.copies_at(at(16, 6, 30)) == 1  # 06:30 UTC is 07:30 in Berlin
    assert schedule.copies_at(at(21, 12)) == 0  # Saturday noon
    assert schedule.copies_at(at(23, 3)) == 0  # Monday before dawn


def test_schedule_from_env_in_tailors_timezone(monkeypatch):
    from tailor_airflow.dag_defaults import endpoint_schedule

    monkeypatch.setenv("TAILOR_ENDPOINT_UP_CRON", "0 9 * * *")
    monkeypatch.setenv("TAILOR_TIMEZONE", "Asia/Tokyo")
    schedule = endpoint_schedule()
    assert (schedule.up_cron, schedule.down_cron, schedule.timezone) == (
        "0 9 * * *",
        "0 20 * * 1-5",
        "Asia/Tokyo",
    )


def test_schedule_accepts_airflows_utc_and_rejects_nonsense():
    assert EndpointSchedule(timezone="utc").copies_at(at(16, 12)) == 1
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        EndpointSchedule(timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="invalid cron expression '0 25'"):
        EndpointSchedule(up_cron="0 25")


def test_schedule_on_new_years_day_and_across_a_dst_change():
    default = EndpointSchedule(timezone="Europe/Berlin")
    new_year = datetime(2027, 1, 1, 0, 0, 30, tzinfo=BERLIN)  # a Friday, seconds into the year
    assert default.copies_at(new_year) == 0 and default.copies_at(new_year.replace(hour=9)) == 1
    # Berlin moves to summer time on Sunday 2027-03-28: 07:00 local is 06:00 UTC before, 05:00 after
    assert default.copies_at(datetime(2027, 3, 26, 6, 0, 30, tzinfo=UTC)) == 1  # Friday, CET
    assert default.copies_at(datetime(2027, 3, 29, 4, 59, tzinfo=UTC)) == 0  # Monday, CEST
    assert default.copies_at(datetime(2027, 3, 29, 5, 0, 30, tzinfo=UTC)) == 1
    changes = default.transitions(
        datetime(2027, 3, 26, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC)
    )
    assert [(t.astimezone(UTC).hour, c) for t, c in changes[1:]] == [
        (6, 1),
        (19, 0),
        (5, 1),
        (18, 0),
    ]


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2027, 1, 1, 0, 0, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 2, 30, tzinfo=UTC),
        at(21, 12),
    ],
)
def test_never_means_around_the_clock_or_only_for_leases_on_every_date(moment):
    """A 24/7 endpoint, and one up only while a job holds a lease: no cron tie on 1 January."""
    assert EndpointSchedule(up_cron="0 0 * * *", down_cron="never").copies_at(moment) == 1
    assert EndpointSchedule(up_cron="never", down_cron="0 0 * * *").copies_at(moment) == 0
    assert EndpointSchedule(down_cron="never").crons == ["0 7 * * 1-5"]  # the runs that remain


def test_never_twice_is_refused():
    with pytest.raises(ValueError, match="not 'never' twice"):
        EndpointSchedule(up_cron="never", down_cron="never")


def test_default_schedule_costs_at_most_40_percent_of_always_on():
    schedule = EndpointSchedule()
    start, end = at(2, 0), at(30, 0)  # four whole weeks
    hours = copy_hours(schedule.transitions(start, end), start, end)
    assert hours == pytest.approx(4 * 5 * 13)
    cost = endpoint_cost(hours, start, end, price_per_hour=7.09)
    assert cost.always_on_monthly_cost == pytest.approx(5104.80)  # the reference's $5,105
    assert cost.monthly_cost == pytest.approx(260 / 672 * 720 * 7.09, abs=0.01)
    assert cost.monthly_cost <= 2050 and cost.share_of_always_on <= 0.40


def test_cost_from_an_event_log_with_a_night_eval_wake_up():
    changes = [
        (at(16, 7), 1),  # morning up
        (at(16, 20), 0),  # evening down
        (at(17, 1), 1),  # nightly_eval wakes it ...
        (at(17, 1, 45), 0),  # ... and its teardown restores zero
        (at(17, 7), 1),
    ]
    hours = copy_hours(changes, at(16, 0), at(17, 12), initial=0)
    assert hours == pytest.approx(13 + 0.75 + 5)
    assert copy_hours(changes, at(16, 19), at(16, 21), initial=0) == pytest.approx(1)
    assert copy_hours([], at(16, 0), at(16, 10), initial=2) == pytest.approx(20)


def test_leases_expire_and_release(tmp_path):
    book = LeaseBook(tmp_path / "leases")
    now = at(16, 1)
    book.acquire("nightly_eval/run1", "run1", minutes=60, now=now)
    book.acquire("finetune/run9", "run9", minutes=10, now=now)
    assert [lease.holder for lease in book.live(now + timedelta(minutes=5))] == [
        "finetune/run9",
        "nightly_eval/run1",
    ]
    later = now + timedelta(minutes=30)
    assert [lease.holder for lease in book.live(later)] == ["nightly_eval/run1"]
    assert len(list((tmp_path / "leases").iterdir())) == 1  # the expired one was cleaned up
    assert book.live(later, excluding="nightly_eval/run1") == []
    book.release("nightly_eval/run1")
    book.release("nightly_eval/run1")  # releasing twice is harmless
    assert book.live(later) == []


def test_events_are_stored_one_object_each_and_load_in_time_order(tmp_path):
    for hour, (a, b) in [(20, (1, 0)), (7, (0, 1))]:
        record_event(tmp_path, ScalingEvent(at(16, hour).isoformat(), a, b, "schedule", "r"))
    events = load_events(tmp_path)
    assert [(e.from_copies, e.to_copies) for e in events] == [(0, 1), (1, 0)]
    assert len(list(tmp_path.iterdir())) == 2


def test_inference_component_states():
    def describe(status, current, desired=1, **extra):
        runtime = {"CurrentCopyCount": current, "DesiredCopyCount": desired}
        return {"InferenceComponentStatus": status, "RuntimeConfig": runtime, **extra}

    assert observe_inference_component(describe("InService", 1)).copies == 1
    assert observe_inference_component(describe("Updating", 0, 1)).failure is None
    failed = observe_inference_component(describe("Failed", 0, FailureReason="no capacity in AZ"))
    assert failed.failure == "no capacity in AZ"
    assert "unrecognised" in observe_inference_component(describe("Paused", 0)).failure


def test_legacy_endpoint_states():
    assert observe_endpoint(None).copies == 0
    in_service = {
        "EndpointStatus": "InService",
        "ProductionVariants": [{"CurrentInstanceCount": 2}],
    }
    assert observe_endpoint(in_service).copies == 2
    deleting = observe_endpoint({"EndpointStatus": "Deleting"})
    assert (deleting.copies, deleting.failure) == (None, None)
    failed = observe_endpoint({"EndpointStatus": "Failed", "FailureReason": "bad image"})
    assert failed.failure == "bad image"
    assert observe_endpoint({"EndpointStatus": "Mystery"}).failure == "endpoint is Mystery"


def test_error_recognisers():
    assert is_no_capacity(
        "ValidationError", "Inference Component has no capacity to process this request."
    )
    assert not is_no_capacity("ModelError", "Received server error (500) from primary")
    assert is_not_found("ValidationException", 'Could not find endpoint "tailor-llm".')
    assert is_not_found("ValidationException", "Requested resource not found.")  # training jobs
    assert is_not_found("ResourceNotFound", "Inference component not found")
    assert not is_not_found("ThrottlingException", "Rate exceeded")
    assert not is_not_found("AccessDeniedException", "User is not authorized")


def test_recorded_cost_starts_the_window_from_the_last_change_before_it():
    from tailor.endpoint.hours import recorded_cost

    until = datetime(2026, 11, 21, tzinfo=UTC)

    def event(days_before: float, before: int, after: int) -> ScalingEvent:
        at = (until - timedelta(days=days_before)).isoformat()
        return ScalingEvent(at, before, after, "test", "run")

    # up 40 days ago (before the 30-day window), down 10 days ago: 20 days of one copy
    cost, in_window = recorded_cost([event(40, 0, 1), event(10, 1, 0)], until, 30, 7.09)
    assert (cost.copy_hours, cost.monthly_hours, in_window) == (480.0, 480.0, 1)
    # an event after the window (a later run's) is neither counted nor priced
    later = recorded_cost([event(40, 0, 1), event(10, 1, 0), event(-1, 0, 1)], until, 30, 7.09)
    assert (later[0].copy_hours, later[1]) == (480.0, 1)
    assert recorded_cost([], until, 30, 7.09) is None
