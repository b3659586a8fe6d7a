"""A throwaway PostgreSQL cluster for the `airflow standalone` tests.

Production Airflow (and docker-compose.yaml) keeps its metadata in PostgreSQL. On SQLite a
"database is locked" error in the middle of `backfill create` leaves a backfill with no runs
that blocks the DAG's next backfill for two minutes (Airflow cleans up only after the lock
errors of PostgreSQL and MySQL), so the tests run on what users run.

The cluster listens on a Unix socket only: no TCP port to race for. As root, it runs as the
`postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: run scripts/postgres_deps.sh")
    return found[-1]


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    # runuser lives in /usr/sbin, which a minimal PATH (a CI runner's) may leave out
    runuser = shutil.which("runuser", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")
    if not runuser:
        raise RuntimeError("runuser (util-linux) is missing: PostgreSQL refuses to run as root")
    return [runuser, "-u", "postgres", "--", *command]


class Cluster:
    """A running cluster; `database(name)` creates one and returns its SQLAlchemy URL."""

    def __init__(self, socket_dir: Path) -> None:
        self.socket_dir = socket_dir

    def database(self, name: str) -> str:
        subprocess.run(
            _as_owner([_bin("createdb"), "-h", str(self.socket_dir), "-U", "postgres", name]),
            check=True,
            capture_output=True,
        )
        return f"postgresql+psycopg2://postgres@/{name}?host={self.socket_dir}"


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    root = Path(tempfile.mkdtemp(prefix="tailor-pg-"))
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    subprocess.run(
        _as_owner(
            [_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        ),
        check=True,
        capture_output=True,
    )
    log = root / "postgres.log"
    subprocess.run(
        _as_owner(
            [
                _bin("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "start",
                "-o",
                f"-c listen_addresses='' -c unix_socket_directories='{sockets}' "
                "-c max_connections=200 -c fsync=off",
            ]
        ),
        check=True,
        capture_output=True,
    )
    try:
        yield Cluster(sockets)
    finally:
        subprocess.run(
            _as_owner([_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
