"""`airflow backfill create` over three past dates on a real `airflow standalone`, then a
rerun of one date: the history holds exactly one row per (date, approach)."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest

from tailor.evaluation.results import read_history
from tests.support.standalone import Standalone, nightly_eval_unpaused

DATES = ["2026-11-15", "2026-11-16", "2026-11-17"]
CONF = {"approaches": ["rag", "base"], "judges": ["smollm2"], "sample_limit": 2}


@pytest.fixture(scope="module")
def server(airflow_standalone):
    with nightly_eval_unpaused(airflow_standalone) as shared:  # backfills need it unpaused
        yield shared.airflow, shared.data


def backfills(airflow: Standalone) -> list[dict]:
    return airflow.api("backfills?dag_id=nightly_eval&limit=100")["backfills"]


def runs(airflow: Standalone) -> list[dict]:
    """The DAG's backfill runs (other tests' runs, and the stand-in, are theirs)."""
    found = airflow.api("dags/nightly_eval/dagRuns?limit=100")["dag_runs"]
    return [r for r in found if r["run_type"] == "backfill"]


def wait_until(airflow: Standalone, done, what: str, timeout: float = 1800) -> None:
    """Poll Airflow's own state; on timeout, fail with the backfills, runs and scheduler log."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for {what}\nbackfills: {backfills(airflow)}\n"
                f"runs: {[(r['dag_run_id'], r['state']) for r in runs(airflow)]}\n"
                f"standalone log:\n{airflow.log_tail()}"
            )
        time.sleep(5)


def backfill(airflow: Standalone, first: str, last: str, *extra: str) -> list[dict]:
    """Backfill the nights `first`..`last` (the window's end is the next day's midnight),
    wait until Airflow marks that backfill complete, and return the DAG's runs."""
    wait_until(
        airflow,
        lambda: all(b["completed_at"] for b in backfills(airflow)),
        "the previous backfill to be marked complete",
        timeout=300,
    )
    known = {b["id"] for b in backfills(airflow)}
    end = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    airflow.cli(
        "backfill",
        "create",
        "--dag-id",
        "nightly_eval",
        "--from-date",
        first,
        "--to-date",
        end,
        "--dag-run-conf",
        json.dumps(CONF),
        "--max-active-runs",
        "1",
        *extra,
    )
    (created,) = [b["id"] for b in backfills(airflow) if b["id"] not in known]
    wait_until(
        airflow,
        lambda: next(b for b in backfills(airflow) if b["id"] == created)["completed_at"],
        f"backfill {created} to complete",
    )
    return runs(airflow)


def ours(history):
    """The backfilled nights; the shared standalone's seeded nights are the page's."""
    return history[history["date"].isin(DATES)]


def test_backfill_three_dates_then_rerun_one_keeps_one_row_per_date_and_approach(server):
    airflow, data = server
    first = backfill(airflow, DATES[0], DATES[-1])
    assert {r["state"] for r in first} == {"success"}, first
    every = airflow.api("dags/nightly_eval/dagRuns?limit=100")["dag_runs"]
    assert not [r for r in every if r["run_type"] == "scheduled"]  # no full night beside them
    assert sorted(r["logical_date"][:10] for r in first) == DATES

    history = ours(read_history(data / "evaluations" / "history"))
    assert sorted(zip(history["date"], history["method"], strict=True)) == sorted(
        (night, method) for night in DATES for method in CONF["approaches"]
    )
    answered = json.loads((data / "evaluations" / DATES[1] / "answers" / "rag.json").read_text())

    started = {r["dag_run_id"]: r["start_date"] for r in first}
    rerun = backfill(airflow, DATES[1], DATES[1], "--reprocess-behavior", "completed")
    assert {r["state"] for r in rerun} == {"success"}, rerun
    restarted = [r for r in rerun if r["start_date"] != started.get(r["dag_run_id"])]
    assert [r["logical_date"][:10] for r in restarted] == [DATES[1]], rerun

    history = ours(read_history(data / "evaluations" / "history"))
    pairs = list(zip(history["date"], history["method"], strict=True))
    assert len(pairs) == len(set(pairs)) == len(DATES) * len(CONF["approaches"])  # no duplicates
    again = json.loads((data / "evaluations" / DATES[1] / "answers" / "rag.json").read_text())
    assert again["attempt"] != answered["attempt"]  # the rerun answered again
    assert again["kb_manifest"] and again["model_version"] == "base"  # the snapshot recorded
