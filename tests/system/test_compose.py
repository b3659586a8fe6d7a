"""docker-compose.yaml and the Dockerfile, validated structurally (no Docker engine here):
every service's command, mount and setting refers to something that exists."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from tests.support.paths import REPO

CORE = {
    "postgres",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yaml").read_text())


def airflow_services(compose: dict) -> dict[str, dict]:
    return {name: s for name, s in compose["services"].items() if name.startswith("airflow-")}


def test_services_follow_the_official_layout(compose):
    services = compose["services"]
    assert CORE <= set(services)
    assert all("profiles" not in services[name] for name in CORE)  # up by default
    assert services["redis"]["profiles"] == ["celery"]
    assert services["airflow-worker"]["profiles"] == ["celery"]
    assert services["tailor-local-seed"]["profiles"] == ["local"]
    env = services["airflow-scheduler"]["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    for name, service in airflow_services(compose).items():
        if name != "airflow-init":
            assert service["depends_on"]["airflow-init"] == {
                "condition": "service_completed_successfully"
            }, name


@pytest.mark.parametrize("command", ["api-server", "scheduler", "dag-processor", "triggerer"])
def test_every_airflow_command_exists(compose, command):
    used = {
        s["command"] for s in airflow_services(compose).values() if isinstance(s["command"], str)
    }
    assert command in used
    result = subprocess.run(
        [sys.executable, "-m", "airflow", *command.split(), "--help"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-500:]


def test_mounts_and_scripts_exist_in_the_repository(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in compose["volumes"], f"{name}: undeclared volume {source}"
        commands = service.get("command", [])
        for script in re.findall(r"/opt/airflow/(scripts/\S+\.py)", " ".join(commands)):
            assert (REPO / script).exists(), f"{name} runs missing {script}"


def test_image_is_the_official_base_with_the_same_pins():
    dockerfile = (REPO / "Dockerfile").read_text()
    requirements = (REPO / "requirements.txt").read_text()
    airflow = re.search(r"^apache-airflow==(\S+)", requirements, re.M).group(1)
    assert f"FROM apache/airflow:{airflow}-python3.11" in dockerfile
    torch = re.search(r"pip install (torch==\S+)", (REPO / "scripts" / "setup.sh").read_text())
    assert torch.group(1) in dockerfile
    assert "-r /opt/tailor/requirements.txt" in dockerfile
    assert "COPY --chown=airflow:root requirements.txt" in dockerfile


def test_no_credentials_are_baked_in(compose):
    text = (REPO / "docker-compose.yaml").read_text() + (REPO / "Dockerfile").read_text()
    for secret in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        assert secret not in text
    assert re.search(r"AKIA[0-9A-Z]{16}", text) is None
