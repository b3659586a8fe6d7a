"""A real `airflow standalone` (scheduler, triggerer, API server, LocalExecutor) for tests."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO
from test_local_endpoint import free_port

AIRFLOW = [sys.executable, "-m", "airflow"]


@dataclass
class Standalone:
    home: Path
    env: dict[str, str]
    port: int

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run an `airflow` command against this standalone's metadata database."""
        result = subprocess.run([*AIRFLOW, *args], env=self.env, capture_output=True, text=True)
        if check:
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return result

    def api(self, path: str) -> dict:
        """GET a REST API v2 path as `admin`."""
        request = urllib.request.Request(
            f"{self.url}/api/v2/{path}", headers={"Authorization": f"Bearer {self.token()}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def log_tail(self, chars: int = 4000) -> str:
        return (self.home / "standalone.log").read_text(errors="replace")[-chars:]

    def token(self) -> str:
        """A JWT for `admin`, from the password standalone generated."""
        passwords = json.loads(
            (self.home / "simple_auth_manager_passwords.json.generated").read_text()
        )
        request = urllib.request.Request(
            f"{self.url}/auth/token",
            data=json.dumps({"username": "admin", "password": passwords["admin"]}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["access_token"]


def airflow_env(home: Path, settings: dict, database: str, **extra: str) -> dict[str, str]:
    """The environment of a standalone on `home` whose metadata lives at the `database` URL."""
    port = free_port()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://localhost:{port}/execution/",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
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
        [*AIRFLOW, "standalone"], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # one process group: stopping it stops every component
    )  # fmt: skip
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
