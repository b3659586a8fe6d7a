"""A test-only DAG: some work between the endpoint's wake (setup) and restore (teardown)."""

from __future__ import annotations

import json
import os

from airflow.sdk import DAG, task

from tailor.endpoint.leases import LeaseBook
from tailor_airflow.config import load_settings
from tailor_airflow.endpoint import LocalEndpoint
from tailor_airflow.scaling import RestoreEndpointOperator, WakeEndpointOperator, endpoint_root

with DAG("endpoint_work", schedule=None, default_args={"retries": 0}, tags=["test"]):
    wake = WakeEndpointOperator(task_id="wake_endpoint")
    restore = RestoreEndpointOperator(task_id="restore_endpoint")

    @task
    def work() -> None:
        """Record what the work saw: the lease it holds and an answer from the endpoint."""
        settings = load_settings()
        server = LocalEndpoint(settings).server
        seen = {
            "holders": [
                lease.holder for lease in LeaseBook(endpoint_root(settings) / "leases").live()
            ],
            "copies": server.copies(),
            "reply": server.chat([{"role": "user", "content": "Say hi."}], max_tokens=4),
        }
        with open(os.environ["TAILOR_TEST_SEEN"], "w") as out:
            json.dump(seen, out)

    wake >> work() >> restore.as_teardown(setups=wake)
