"""A real `airflow standalone` (scheduler, triggerer, API server, LocalExecutor) for tests.

One is started per session (`shared_standalone`, the conftest fixture `airflow_standalone`)
and serves every test that needs one: the backfill, the Tailor page in a browser, access
control, finetune following the Knowledge Base. Its data root holds the sample catalog and
test set, synced, and a seeded evaluation history (2026-11-18..20) for the page; backfills use
other nights. Every DAG starts paused: a test unpauses what it needs and pauses it again.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3

from tailor.local.ports import reserve_port
from tailor.local.server import LocalModelServer
from tests.support.history import seed
from tests.support.moto_server import moto_server_process, notifying_catalog_bucket
from tests.support.paths import REPO, SAMPLE_CATALOG, SAMPLE_TEST_SET

AIRFLOW = [sys.executable, "-m", "airflow"]


@dataclass
class Standalone:
    home: Path
    env: dict[str, str]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run an `airflow` command against this standalone's metadata database."""
        result = subprocess.run([*AIRFLOW, *args], env=self.env, capture_output=True, text=True)
        if check:
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return result

    def api(
        self, path: str, body: dict | None = None, method: str | None = None, prefix: str = "api/v2"
    ) -> dict:
        """Call a REST API v2 path (or the UI's, `prefix="ui"`) as `admin`: GET, or `method`
        with a JSON `body`."""
        request = urllib.request.Request(
            f"{self.url}/{prefix}/{path}",
            method=method or ("POST" if body else "GET"),
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def log_tail(self, chars: int = 4000) -> str:
        return (self.home / "standalone.log").read_text(errors="replace")[-chars:]

    def token(self, user: str = "admin") -> str:
        """A JWT for `user`, from the password standalone generated."""
        passwords = json.loads(
            (self.home / "simple_auth_manager_passwords.json.generated").read_text()
        )
        request = urllib.request.Request(
            f"{self.url}/auth/token",
            data=json.dumps({"username": user, "password": passwords[user]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["access_token"]


def airflow_env(home: Path, settings: dict, database: str, **extra: str) -> dict[str, str]:
    """The environment of a standalone on `home` whose metadata lives at the `database` URL."""
    port, worker_logs, trigger_logs = reserve_port(), reserve_port(), reserve_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__HOST": "127.0.0.1",  # loopback only
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker_logs),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger_logs),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        # analyst: a viewer who may not read nightly_eval (tests/auth/tailor_test_auth.py)
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin,analyst:viewer",
        "PYTHONPATH": os.pathsep.join(
            [str(REPO / "tests" / "auth"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
        "AIRFLOW_VAR_TAILOR_SETTINGS": json.dumps(settings),
        **extra,
    }
    env.pop("AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST", None)  # the real dags folder
    return env


@contextmanager
def standalone(home: Path, env: dict[str, str], ready_dag: str) -> Iterator[Standalone]:
    """Start standalone on `home`; ready once the API answers and `ready_dag` is parsed."""
    server = Standalone(home, env, int(env["AIRFLOW__API__PORT"]))
    server.cli("db", "migrate")
    log = (home / "standalone.log").open("w")
    process = subprocess.Popen(
        [*AIRFLOW, "standalone"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # one process group: stopping it stops every component
    )
    try:
        deadline = time.monotonic() + 240
        while not (_healthy(server.url) and _parsed(server, ready_dag)):
            assert process.poll() is None, (home / "standalone.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (home / "standalone.log").read_text()[-3000:]
            time.sleep(3)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            pass
        try:  # workers and servers still in the group
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5):
            return True
    except OSError:
        return False


def _parsed(server: Standalone, dag_id: str) -> bool:
    result = server.cli("dags", "list", "-o", "json", check=False)
    return result.returncode == 0 and f'"{dag_id}"' in result.stdout


@dataclass
class Shared:
    airflow: Standalone
    data: Path
    moto: str  # its own moto server: the catalog bucket notifying CATALOG_QUEUE


CATALOG_BUCKET, CATALOG_PREFIX, CATALOG_QUEUE = "acme-catalog", "catalog/", "tailor-catalog-events"
MOTO_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def shared_standalone(work: Path, database: str) -> Iterator[Shared]:
    """The session's standalone on the embedded backend, with the catalog synced. The
    scheduler creates runs (asset-triggered ones need it), but every DAG is paused, and a cron
    timetable does not fire for the time before it was unpaused: only what a test starts runs.
    kb_sync's AssetWatcher polls a moto of its own (never reset by other tests), where the
    catalog bucket sends its S3 event notifications to the queue `catalog_queue_url`."""
    data = work / "data"
    (data / "catalog").mkdir(parents=True)
    shutil.copy(SAMPLE_CATALOG, data / "catalog")
    shutil.copy(SAMPLE_TEST_SET, data / "test_set.json")
    seed(data)
    endpoint_port = reserve_port()
    home = work / "airflow"
    home.mkdir()
    with moto_server_process() as moto:
        clients = {
            name: boto3.client(
                name,
                endpoint_url=moto,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            for name in ("s3", "sqs")
        }
        queue = notifying_catalog_bucket(
            clients["s3"], clients["sqs"], CATALOG_BUCKET, CATALOG_PREFIX, CATALOG_QUEUE
        )
        env = airflow_env(
            home,
            {
                "data_root": str(data),
                "local_endpoint_port": endpoint_port,
                "judge_controls": 1,
                "endpoint_poll_seconds": 1,
                "gate_questions": 2,
                "catalog_queue_url": queue,
                "approval_timeout_hours": 0.015,
            },  # 54 s: an unanswered approval times out
            database,
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
            AIRFLOW_CONN_AWS_DEFAULT=json.dumps(
                {"conn_type": "aws", "extra": {"endpoint_url": moto}}
            ),
            TAILOR_EVAL_DEADLINE="01:01",  # a minute after the 01:00 cron: every night is late
            TAILOR_ENDPOINT_UP_CRON="never",  # off-hours all year: wake, then restore
            TAILOR_ENDPOINT_DOWN_CRON="0 0 * * *",
            **MOTO_CREDENTIALS,
        )
        with standalone(home, env, "nightly_eval") as airflow:
            airflow.cli("dags", "test", "kb_sync")
            try:
                yield Shared(airflow, data, moto)
            finally:
                LocalModelServer(data / "endpoint", endpoint_port).stop()


@contextmanager
def finetune_unpaused(shared: Shared) -> Iterator[Shared]:
    """finetune unpaused for one test module; afterwards paused again, and the models that module
    added removed (the page's seeded lineage stays)."""
    models = shared.data / "models"
    seeded = {p.name for p in models.iterdir()}
    shared.airflow.cli("dags", "unpause", "finetune")
    try:
        yield shared
    finally:
        shared.airflow.cli("dags", "pause", "finetune")
        for added in [p for p in models.iterdir() if p.name not in seeded]:
            shutil.rmtree(added) if added.is_dir() else added.unlink()


@contextmanager
def nightly_eval_unpaused(shared: Shared) -> Iterator[Shared]:
    """nightly_eval unpaused for one test module, paused again afterwards. With catchup off,
    unpausing makes the scheduler start the latest interval (today's 01:00, the shared
    standalone's cron in UTC) as a full scheduled night, as it would in production if that
    night had not run: a run on that logical date, marked done before the DAG is unpaused,
    stands for it (made once per session)."""
    from croniter import croniter

    airflow = shared.airflow
    latest = croniter("0 1 * * *", datetime.now(UTC)).get_prev(datetime).isoformat()
    found = airflow.api("dags/nightly_eval/dagRuns?limit=100")["dag_runs"]
    if not any(r["logical_date"] and r["logical_date"][:19] == latest[:19] for r in found):
        stand_in = airflow.api(
            "dags/nightly_eval/dagRuns", {"logical_date": latest, "conf": {"sample_limit": 1}}
        )
        airflow.api(
            f"dags/nightly_eval/dagRuns/{stand_in['dag_run_id']}",
            {"state": "success"},
            method="PATCH",
        )
    airflow.cli("dags", "unpause", "nightly_eval")
    try:
        yield shared
    finally:
        airflow.cli("dags", "pause", "nightly_eval")


def answer_hitl(airflow: Standalone, dag_id: str, run: str, task_id: str, body: dict) -> None:
    """Answer a human-in-the-loop task as a person would, not within a second of the request:
    Airflow 3.3.2 loses an answer given before the executor has reported the paused task's
    process as ended (the resumed try is marked up_for_retry, its rerun waits anew and times
    out; seen in CI, again with 5 s under a loaded CI machine)."""
    time.sleep(15)
    airflow.api(
        f"dags/{dag_id}/dagRuns/{run}/taskInstances/{task_id}/-1/hitlDetails", body, method="PATCH"
    )


def wait_for(airflow: Standalone, check, what: str, timeout: float = 900):
    """Poll `check` every 3 s until it returns something true, and return that; on timeout,
    fail with the standalone's log."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}\n{airflow.log_tail()}"
        time.sleep(3)
    return found
