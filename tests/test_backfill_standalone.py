"""`airflow backfill create` over three past dates on a real `airflow standalone`, then a
rerun of one date: the history holds exactly one row per (date, approach)."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, timedelta

import pytest
from conftest import SAMPLE_CATALOG, SAMPLE_TEST_SET
from standalone import Standalone, airflow_env, standalone
from test_local_endpoint import free_port

from tailor.evaluation.results import read_history
from tailor.local.server import LocalModelServer

DATES = ["2026-11-15", "2026-11-16", "2026-11-17"]
CONF = {"approaches": ["rag", "base"], "judges": ["smollm2"], "sample_limit": 2}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("backfill")
    data = work / "data"
    (data / "catalog").mkdir(parents=True)
    shutil.copy(SAMPLE_CATALOG, data / "catalog")
    shutil.copy(SAMPLE_TEST_SET, data / "test_set.json")
    endpoint_port = free_port()
    env = airflow_env(
        work / "airflow",
        {"data_root": str(data), "local_endpoint_port": endpoint_port, "judge_controls": 1,
         "endpoint_poll_seconds": 1},
        # only the backfill's runs: unpausing the DAG must not start tonight's scheduled run
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",
        TAILOR_ENDPOINT_UP_CRON="0 0 1 1 *",  # off-hours all year: wake, then restore
        TAILOR_ENDPOINT_DOWN_CRON="0 0 * * *",
    )  # fmt: skip
    (work / "airflow").mkdir()
    with standalone(work / "airflow", env, "nightly_eval") as airflow:
        airflow.cli("dags", "test", "kb_sync")
        airflow.cli("dags", "unpause", "nightly_eval")  # backfills need an unpaused DAG
        yield airflow, data
        LocalModelServer(data / "endpoint", endpoint_port).stop()


def backfill(airflow: Standalone, first: str, last: str, *extra: str) -> None:
    """Runs for the nights of `first`..`last` (the window's end is the next day's midnight).

    The scheduler marks the previous backfill complete a few seconds after its last run:
    until then Airflow refuses a second one for the DAG, so that refusal is waited out.
    """
    end = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    command = ["backfill", "create", "--dag-id", "nightly_eval", "--from-date", first,
               "--to-date", end, "--dag-run-conf", json.dumps(CONF), "--max-active-runs", "1",
               *extra]  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        result = airflow.cli(*command, check=False)
        if result.returncode == 0:
            return
        assert "AlreadyRunningBackfill" in result.stderr and time.monotonic() < deadline, (
            result.stdout[-2000:] + result.stderr[-2000:]
        )
        time.sleep(5)


def runs(airflow: Standalone) -> list[dict]:
    result = airflow.cli("dags", "list-runs", "nightly_eval", "-o", "json", check=False)
    listing = [line for line in result.stdout.splitlines() if line.startswith("[")]
    return json.loads(listing[-1]) if result.returncode == 0 and listing else []


def wait_for(airflow: Standalone, done, timeout: float = 1800) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = runs(airflow)
        if done(current):
            return current
        time.sleep(5)
    raise AssertionError(f"backfill runs did not finish: {runs(airflow)}")


def finished(current: list[dict], count: int) -> bool:
    ended = [r for r in current if r["state"] in ("success", "failed")]
    return len(ended) >= count and not any(r["state"] in ("queued", "running") for r in current)


def test_backfill_three_dates_then_rerun_one_keeps_one_row_per_date_and_approach(server):
    airflow, data = server
    backfill(airflow, DATES[0], DATES[-1])
    first = wait_for(airflow, lambda current: finished(current, 3))
    assert {r["state"] for r in first} == {"success"}, first
    assert sorted(r["logical_date"][:10] for r in first) == DATES

    history = read_history(data / "evaluations" / "history")
    assert sorted(zip(history["date"], history["method"], strict=True)) == sorted(
        (night, method) for night in DATES for method in CONF["approaches"]
    )
    answered = json.loads((data / "evaluations" / DATES[1] / "answers" / "rag.json").read_text())

    backfill(airflow, DATES[1], DATES[1], "--reprocess-behavior", "completed")
    started = {r["run_id"]: r["start_date"] for r in first}
    rerun = wait_for(airflow, lambda current: finished(current, 3) and any(
        r["start_date"] != started.get(r["run_id"]) for r in current))  # fmt: skip
    assert {r["state"] for r in rerun} == {"success"}, rerun

    history = read_history(data / "evaluations" / "history")
    pairs = list(zip(history["date"], history["method"], strict=True))
    assert len(pairs) == len(set(pairs)) == len(DATES) * len(CONF["approaches"])  # no duplicates
    again = json.loads((data / "evaluations" / DATES[1] / "answers" / "rag.json").read_text())
    assert again["attempt"] != answered["attempt"]  # the rerun answered again
    assert again["kb_manifest"] and again["model_version"] == "base"  # the snapshot recorded
