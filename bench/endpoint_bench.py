"""The endpoint's hours from a month of real scaling runs, and the local endpoint's start/stop.

1. A simulated month (2026-11-01 to 2026-12-01, 30 days) on the aws backend against the tests'
   AWS emulator (tests/support/aws_emulator.py: the inference component's copies): at every
   change of the default schedule, `endpoint_schedule`'s own `scale_endpoint` task; every night
   at 01:00, `nightly_eval`'s `wake_endpoint` task, and its `restore_endpoint` task when the
   night ends (NIGHT_MINUTES later, an assumed night length). Each task is the DAG's operator,
   executed directly (outside Airflow's task runner, as the operator tests do) with the clock
   at its moment (time-machine) and its deferral run through its own trigger; leases, skips and the
   scaling events are theirs. The month's hours and cost are then
   `report_cost`'s report at the month's end, from the events those runs recorded, printed
   beside the schedule's arithmetic (the cron strings alone). Goal: <= 40% of always-on.
2. The local endpoint (measured first): seconds to serve (process start to first answer), the
   server's resident memory, and seconds to stop (after which that memory is free).
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.support: the AWS emulator is the tests' own

from tailor.endpoint.hours import copy_hours, endpoint_cost  # noqa: E402
from tailor.local.models import base_model_dir, current_model_dir  # noqa: E402
from tailor.local.ports import reserve_port  # noqa: E402
from tailor.local.server import LocalModelServer  # noqa: E402
from tailor.settings import Settings  # noqa: E402
from tests.support.aws_emulator import AwsEmulator  # noqa: E402

MONTH = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
NIGHT_MINUTES = 45


def run_task(task, moment: datetime, run_id: str) -> str:
    """Execute a DAG's task as its worker would at `moment`: templates rendered, a deferral
    handed to its trigger and resumed with the trigger's event. Returns how it ended."""
    import time_machine
    from airflow.sdk.exceptions import AirflowSkipException, TaskDeferred

    task = copy.copy(task)  # a worker gets a fresh operator per try
    run = SimpleNamespace(run_after=moment, logical_date=moment, run_id=run_id)
    context = {
        "dag": task.dag,
        "task": task,
        "run_id": run_id,
        "dag_run": run,
        "params": {k: v.value for k, v in task.dag.params.items()},
    }
    with time_machine.travel(moment, tick=False):
        task.render_template_fields(context)
        call = lambda: task.execute(context)  # noqa: E731
        while True:
            try:
                call()
                return "success"
            except AirflowSkipException:
                return "skipped"
            except TaskDeferred as deferred:
                event = asyncio.run(_first_event(deferred.trigger))
                method = getattr(task, deferred.method_name)
                call = lambda m=method, d=deferred, e=event: m(context, e, **(d.kwargs or {}))  # noqa: E731


async def _first_event(trigger) -> dict:
    async for event in trigger.run():
        return event.payload
    raise RuntimeError(f"{trigger!r} ended without an event")


def recorded_month(work: Path) -> None:
    start, end = MONTH
    with AwsEmulator(unit=0.0) as emulator:
        os.environ.update(
            {
                "AIRFLOW_VAR_TAILOR_SETTINGS": json.dumps(
                    {
                        "backend": "aws",
                        "data_root": (work / "data").as_uri(),
                        "region_name": "us-east-1",
                        "endpoint_name": "tailor-endpoint",
                        "inference_component_name": "tailor-v1",
                        "endpoint_poll_seconds": 1,
                    }
                ),
                "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(
                    {
                        "conn_type": "aws",
                        "login": "testing",
                        "password": "testing",
                        "extra": {"endpoint_url": emulator.url, "region_name": "us-east-1"},
                    }
                ),
                "TAILOR_EVAL_DEADLINE": "never",
            }
        )
        from airflow.dag_processing.dagbag import DagBag

        from tailor_airflow.dag_defaults import endpoint_schedule
        from tailor_airflow.endpoint_cost import report_endpoint_cost

        bag = DagBag(dag_folder=str(REPO / "dags"))
        scale = bag.dags["endpoint_schedule"].get_task("scale_endpoint")
        nightly = bag.dags["nightly_eval"]
        schedule = endpoint_schedule()
        runs = [
            (moment, scale, f"scheduled__{moment.isoformat()}")
            for moment, _ in schedule.transitions(start, end)
        ]
        night = start + timedelta(hours=1)
        while night < end:
            run_id = f"scheduled__{night.isoformat()}"
            ends = night + timedelta(minutes=NIGHT_MINUTES)
            runs += [
                (night, nightly.get_task("wake_endpoint"), run_id),
                (ends, nightly.get_task("restore_endpoint"), run_id),
            ]
            night += timedelta(days=1)
        outcomes: dict[str, int] = {}
        for moment, task, run_id in sorted(runs, key=lambda r: r[0]):
            outcome = f"{task.dag_id}.{task.task_id} {run_task(task, moment, run_id)}"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        import time_machine

        with time_machine.travel(end, tick=False):
            report = report_endpoint_cost(days=(end - start).days)
    price = Settings().prices.instance_hour
    arithmetic = endpoint_cost(
        copy_hours(schedule.transitions(start, end), start, end), start, end, price
    )
    print(
        f"schedule's arithmetic (cron strings only): {arithmetic.monthly_hours:6.1f} h/month, "
        f"${arithmetic.monthly_cost:,.0f} ({arithmetic.share_of_always_on:.1%} of always-on)"
    )
    print(
        f"recorded by the runs (report_cost)      : {report['monthly_hours']:6.1f} h/month, "
        f"${report['monthly_cost']:,.0f} vs ${report['always_on_monthly_cost']:,.0f} always on "
        f"({report['share_of_always_on']:.1%}; goal <= 40%), from {report['events']} events"
    )
    print("  runs: " + "; ".join(f"{n} x {what}" for what, n in sorted(outcomes.items())))
    print(
        f"  (nights assumed {NIGHT_MINUTES} min; emulated component copies changed "
        f"{emulator.stats.requests.get('UpdateInferenceComponentRuntimeConfig', 0)} times)"
    )


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def local_start_stop(root: Path) -> None:
    settings = Settings.from_mapping({})
    model = current_model_dir(root / "models", Path(settings.model_cache_dir))
    base_model_dir(Path(settings.model_cache_dir))
    server = LocalModelServer(root / "endpoint", reserve_port())
    started = time.perf_counter()
    state = server.start(model)
    deadline = started + 300
    while True:
        try:
            server.chat([{"role": "user", "content": "hi"}], max_tokens=1)
            break
        except Exception as error:
            if time.perf_counter() > deadline:
                server.stop()
                log = (root / "endpoint" / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(
                    f"the local endpoint did not answer in 300 s: {error}\n{log}"
                ) from None
            time.sleep(0.5)
    ready = time.perf_counter() - started
    memory = rss_mib(state.pid)
    started = time.perf_counter()
    server.stop()
    stopped = time.perf_counter() - started
    print(
        f"local endpoint    : first answer {ready:.1f} s after start; server RSS {memory:.0f} MiB; "
        f"stopped in {stopped:.1f} s (process gone: {not Path(f'/proc/{state.pid}').exists()})"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        os.environ.setdefault("AIRFLOW_HOME", str(Path(work) / "airflow"))
        local_start_stop(Path(work))
        recorded_month(Path(work))
