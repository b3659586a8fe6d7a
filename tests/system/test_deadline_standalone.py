"""nightly_eval's DeadlineAlert on a real `airflow standalone`: the shared standalone's
deadline is 01:01 (a minute after the 01:00 cron), so a real night misses it, and the triggerer
calls the notifiers."""

from __future__ import annotations

import time

import pytest

NIGHT = "2026-11-12"  # not a night other tests use
CONF = {"approaches": ["rag", "fine_tuned"], "judges": ["smollm2"], "sample_limit": 2}


@pytest.fixture(scope="module")
def server(airflow_standalone):
    airflow = airflow_standalone.airflow
    airflow.cli("dags", "unpause", "nightly_eval")
    yield airflow
    airflow.cli("dags", "pause", "nightly_eval")


def wait(check, what: str, timeout: float, airflow) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{airflow.log_tail()}"
        time.sleep(5)


def test_a_night_not_finished_by_its_deadline_calls_the_notifiers(server):
    airflow = server
    (alert,) = airflow.api("dags/nightly_eval/deadlineAlerts", prefix="ui")["deadline_alerts"]
    assert alert["interval"] == 60 and alert["reference_type"] == "DagRunQueuedAtDeadline"
    run = airflow.api(
        "dags/nightly_eval/dagRuns", {"logical_date": f"{NIGHT}T01:00:00Z", "conf": CONF}
    )
    path = f"dags/nightly_eval/dagRuns/{run['dag_run_id']}"
    wait(lambda: airflow.api(path)["state"] in ("success", "failed"), "the night", 900, airflow)
    assert airflow.api(path)["state"] == "success"  # late is loud, not failed
    (deadline,) = airflow.api(f"{path}/deadlines", prefix="ui")["deadlines"]
    assert deadline["missed"], deadline
    expected = f"Tailor: nightly_eval missed its deadline: nightly_eval {run['dag_run_id']}"
    wait(lambda: expected in airflow.log_tail(10**7), "the notifier's line", 120, airflow)
