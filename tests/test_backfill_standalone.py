"""`airflow backfill create` over three past dates on a real `airflow standalone`, then a
rerun of one date: the history holds exactly one row per (date, approach)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
from conftest import REPO, SAMPLE_CATALOG, SAMPLE_TEST_SET
from test_local_endpoint import free_port

from tailor.evaluation.results import read_history
from tailor.local.server import LocalModelServer

DATES = ["2026-11-15", "2026-11-16", "2026-11-17"]
CONF = {"approaches": ["rag", "base"], "judges": ["smollm2"], "sample_limit": 2}


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """A standalone Airflow (scheduler, triggerer, API server, LocalExecutor) on a temp home."""
    work = tmp_path_factory.mktemp("standalone")
    data = work / "data"
    (data / "catalog").mkdir(parents=True)
    shutil.copy(SAMPLE_CATALOG, data / "catalog")
    shutil.copy(SAMPLE_TEST_SET, data / "test_set.json")
    endpoint_port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__PORT": str(free_port()),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW_VAR_TAILOR_SETTINGS": json.dumps(
            {
                "data_root": str(data),
                "local_endpoint_port": endpoint_port,
                "judge_controls": 1,
                "endpoint_poll_seconds": 1,
            }
        ),  # fmt: skip
        # nights of the 15th to the 17th only: unpausing the DAG then starts no scheduled run
        "TAILOR_EVAL_CRON": "0 1 15-17 11 *",
        "TAILOR_ENDPOINT_UP_CRON": "0 0 1 1 *",  # off-hours all year: wake, then restore
        "TAILOR_ENDPOINT_DOWN_CRON": "0 0 * * *",
    }
    env.pop("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", None)  # the real dags folder
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "db", "migrate"], env=env, check=True, capture_output=True)
    synced = subprocess.run(
        [*airflow, "dags", "test", "kb_sync"], env=env, capture_output=True, text=True
    )
    assert synced.returncode == 0, synced.stdout[-3000:] + synced.stderr[-3000:]
    log = (work / "standalone.log").open("w")
    process = subprocess.Popen(
        [*airflow, "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not parsed(airflow, env):
            assert process.poll() is None, (work / "standalone.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "standalone did not parse nightly_eval"
            time.sleep(3)
        # backfills run only for an unpaused DAG (Airflow 3.3)
        subprocess.run([*airflow, "dags", "unpause", "nightly_eval"], env=env, check=True,
                       capture_output=True)  # fmt: skip
        yield airflow, env, data
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        LocalModelServer(data / "endpoint", endpoint_port).stop()


def parsed(airflow, env) -> bool:
    result = subprocess.run(
        [*airflow, "dags", "list", "-o", "json"], env=env, capture_output=True, text=True
    )
    return result.returncode == 0 and '"nightly_eval"' in result.stdout


def backfill(airflow, env, first: str, last: str, *extra: str) -> None:
    """Runs for the nights of `first`..`last` (the window's end is the next day's midnight)."""
    end = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    result = subprocess.run(
        [*airflow, "backfill", "create", "--dag-id", "nightly_eval", "--from-date", first,
         "--to-date", end, "--dag-run-conf", json.dumps(CONF), *extra],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def runs(airflow, env) -> list[dict]:
    result = subprocess.run(
        [*airflow, "dags", "list-runs", "nightly_eval", "-o", "json"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    listing = [line for line in result.stdout.splitlines() if line.startswith("[")]
    return json.loads(listing[-1]) if result.returncode == 0 and listing else []


def wait_for(airflow, env, done, timeout: float = 900) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = runs(airflow, env)
        if done(current):
            return current
        time.sleep(5)
    raise AssertionError(f"backfill runs did not finish: {runs(airflow, env)}")


def finished(current: list[dict], count: int) -> bool:
    ended = [r for r in current if r["state"] in ("success", "failed")]
    return len(ended) >= count and not any(r["state"] in ("queued", "running") for r in current)


def test_backfill_three_dates_then_rerun_one_keeps_one_row_per_date_and_approach(standalone):
    airflow, env, data = standalone
    backfill(airflow, env, DATES[0], DATES[-1])
    first = wait_for(airflow, env, lambda current: finished(current, 3))
    assert {r["state"] for r in first} == {"success"}, first
    assert sorted(r["logical_date"][:10] for r in first) == DATES

    history = read_history(data / "evaluations" / "history")
    assert sorted(zip(history["date"], history["method"], strict=True)) == sorted(
        (date, method) for date in DATES for method in CONF["approaches"]
    )
    before = dict(zip(history["date"], history["run_id"], strict=False))

    backfill(airflow, env, DATES[1], DATES[1], "--reprocess-behavior", "completed")
    started = {r["run_id"]: r["start_date"] for r in first}
    rerun = wait_for(airflow, env, lambda current: finished(current, 3) and any(
        r["start_date"] != started.get(r["run_id"]) for r in current))  # fmt: skip
    assert {r["state"] for r in rerun} == {"success"}, rerun
    history = read_history(data / "evaluations" / "history")
    pairs = list(zip(history["date"], history["method"], strict=True))
    assert len(pairs) == len(set(pairs)) == len(DATES) * len(CONF["approaches"])  # no duplicates
    after = dict(zip(history["date"], history["run_id"], strict=False))
    assert after[DATES[0]] == before[DATES[0]] and after[DATES[2]] == before[DATES[2]]
    answers = json.loads((data / "evaluations" / DATES[1] / "answers" / "rag.json").read_text())
    assert answers["kb_manifest"] and answers["model_version"] == "base"  # snapshot recorded
