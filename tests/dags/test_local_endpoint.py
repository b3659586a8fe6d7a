"""The local endpoint for real: a `transformers serve` process scaled by endpoint_schedule."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tailor.endpoint.events import load_events
from tailor.endpoint.leases import LeaseBook
from tailor.endpoint.observe import EndpointAsleep
from tailor.local.server import LocalModelServer
from tests.support.paths import REPO


def reserve_port() -> int:
    """A loopback port reserved for this test session (tailor.local.ports)."""
    from tailor.local.ports import reserve_port

    return reserve_port()


@pytest.fixture(scope="module")
def schedule_dag():
    from airflow.dag_processing.dagbag import DagBag

    path = REPO / "dags" / "endpoint_schedule.py"
    return DagBag(dag_folder=str(path)).get_dag("endpoint_schedule")


@pytest.fixture
def endpoint(tmp_path, tailor_settings, airflow_db):
    port = reserve_port()
    tailor_settings(data_root=str(tmp_path), local_endpoint_port=port, endpoint_poll_seconds=1)
    server = LocalModelServer(tmp_path / "endpoint", port)
    yield server
    server.stop()


def run(dag, logical_date=None, **conf) -> dict[str, str]:
    dag_run = dag.test(run_conf=conf, logical_date=logical_date)
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


def test_scale_up_invoke_lease_and_scale_down(schedule_dag, endpoint, tmp_path):
    assert endpoint.copies() == 0
    with pytest.raises(EndpointAsleep):
        endpoint.chat([{"role": "user", "content": "hello"}])

    due = datetime.now(UTC) - timedelta(minutes=1)  # as a scheduled run: due, then started
    assert run(schedule_dag, logical_date=due, target_copies=1) == {
        "scale_endpoint": "success",
        "report_cost": "success",
        "enable_scale_from_zero": "skipped",  # aws only
    }
    assert endpoint.copies() == 1
    report = json.loads(max((tmp_path / "endpoint" / "cost").glob("*.json")).read_text())
    # the window ends at the report, so the run's own scaling counts, and its hours with it
    assert report["events"] == 1 and report["copy_hours"] > 0
    reply = endpoint.chat([{"role": "user", "content": "Name a colour."}], max_tokens=8)
    assert reply["choices"][0]["message"]["content"].strip()
    assert reply["usage"]["completion_tokens"] > 0

    assert run(schedule_dag, target_copies=1)["scale_endpoint"] == "success"  # no-op
    assert len(load_events(tmp_path / "endpoint" / "events")) == 1

    book = LeaseBook(tmp_path / "endpoint" / "leases")
    book.acquire("nightly_eval/manual__1", "manual__1", minutes=30)
    states = run(schedule_dag, target_copies=0)
    assert states["scale_endpoint"] == "skipped" and states["report_cost"] == "success"
    assert endpoint.copies() == 1

    book.release("nightly_eval/manual__1")
    pid = endpoint.state().pid
    assert run(schedule_dag, target_copies=0)["scale_endpoint"] == "success"
    assert endpoint.copies() == 0 and endpoint.state() is None
    assert not os.path.exists(f"/proc/{pid}")  # the process and its memory are gone
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{endpoint.url}/health", timeout=2)

    events = load_events(tmp_path / "endpoint" / "events")
    assert [(e.from_copies, e.to_copies) for e in events] == [(0, 1), (1, 0)]
    assert events[0].reason.startswith("endpoint_schedule manual")
    (report,) = (tmp_path / "endpoint" / "cost").iterdir()
    assert json.loads(report.read_text())["events"] == 2

    assert run(schedule_dag, target_copies=1)["scale_endpoint"] == "success"  # and back up
    assert endpoint.copies() == 1


def test_the_server_does_not_hold_the_starting_tasks_stdin(endpoint):
    """Airflow's supervisor talks to a task over a socket on its fd 0 and, when the task exits,
    waits up to 60 s for that socket to close: a server started by the task must not inherit it,
    or every task that wakes the endpoint finishes a minute late."""
    from tailor.local.models import base_model_dir
    from tailor.settings import Settings

    task_side, supervisor_side = socket.socketpair()
    saved = os.dup(0)
    os.dup2(task_side.fileno(), 0)  # as the supervisor starts a task
    try:
        state = endpoint.start(base_model_dir(Settings().model_cache_dir))
    finally:
        os.dup2(saved, 0)
        os.close(saved)
        task_side.close()
    try:
        assert os.readlink(f"/proc/{state.pid}/fd/0") == "/dev/null"
    finally:
        endpoint.stop()
        supervisor_side.close()


def test_stale_pid_file_is_cleaned_up(endpoint):
    sleeper = subprocess.Popen(["sleep", "30"])  # alive, but not our server
    endpoint.state_dir.mkdir(parents=True, exist_ok=True)
    for pid in (sleeper.pid, 999_999_999):  # a stranger's process, then a dead pid
        endpoint.pid_file.write_text(
            json.dumps(
                {
                    "pid": pid,
                    "port": endpoint.port,
                    "model_dir": "m",
                    "started_at": datetime.now(UTC).isoformat(),
                }
            )
        )
        assert endpoint.state() is None and not endpoint.pid_file.exists()
        assert endpoint.copies() == 0
        assert endpoint.stop() is False
    assert sleeper.poll() is None  # never signalled the stranger
    sleeper.kill()


def test_work_wakes_the_endpoint_and_teardown_restores_the_schedule(
    endpoint, monkeypatch, tmp_path
):
    """The setup/teardown pair nightly_eval and finetune use (tests/support/dag_bundle/endpoint_work.py)."""
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("TAILOR_ENDPOINT_UP_CRON", "never")  # scheduled state: off-hours
    monkeypatch.setenv("TAILOR_ENDPOINT_DOWN_CRON", "0 0 * * *")
    monkeypatch.setenv("TAILOR_TEST_SEEN", str(tmp_path / "seen.json"))
    dag = DagBag(dag_folder=str(REPO / "tests" / "support" / "dag_bundle")).get_dag("endpoint_work")

    states = {ti.task_id: ti.state for ti in dag.test().get_task_instances()}
    assert states == {"wake_endpoint": "success", "work": "success", "restore_endpoint": "success"}
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["copies"] == 1 and len(seen["holders"]) == 1
    assert seen["holders"][0].startswith("endpoint_work/")
    assert seen["reply"]["choices"][0]["message"]["content"]
    assert endpoint.copies() == 0
    assert LeaseBook(tmp_path / "endpoint" / "leases").live() == []
    reasons = [e.reason for e in load_events(tmp_path / "endpoint" / "events")]
    assert reasons[0].startswith("woken for endpoint_work/")
    assert reasons[1].startswith("schedule restored after endpoint_work/")
