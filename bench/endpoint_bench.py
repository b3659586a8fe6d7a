"""The endpoint schedule's saving, and the local endpoint's start/stop, from one run.

1. Four weeks of scaling events (the default schedule, plus nightly_eval waking the
   endpoint at 01:00 for 45 minutes every night) are written and read back through the
   same event log endpoint_schedule uses, then priced like its report (goal: <= 40% of
   the always-on $5,105/month).
2. The local endpoint: seconds to serve (process start to first answer), the server's
   resident memory, and seconds to stop (after which that memory is free).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tailor.endpoint.events import ScalingEvent, load_events, record_event
from tailor.endpoint.hours import copy_hours, endpoint_cost
from tailor.endpoint.schedule import EndpointSchedule
from tailor.local.models import base_model_dir, current_model_dir
from tailor.local.ports import reserve_port
from tailor.local.server import LocalModelServer
from tailor.settings import Settings

PRICE = 7.09


def simulated_month(root: Path) -> None:
    start, end = datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    schedule = EndpointSchedule()
    changes = schedule.transitions(start, end)
    night = start + timedelta(hours=1)
    while night < end:  # nightly_eval's wake-up on nights the schedule has it at zero
        if schedule.copies_at(night) == 0:
            changes += [(night, 1), (night + timedelta(minutes=45), 0)]
        night += timedelta(days=1)
    copies = changes[0][1]
    for moment, new in sorted(changes[1:], key=lambda change: change[0]):
        if new != copies:
            record_event(root, ScalingEvent(moment.isoformat(), copies, new, "bench", "bench"))
            copies = new
    events = load_events(root)
    recorded = [(datetime.fromisoformat(e.at), e.to_copies) for e in events]
    initial = changes[0][1]
    for label, log in (("schedule only", schedule.transitions(start, end)),
                       ("with nightly_eval", recorded)):  # fmt: skip
        cost = endpoint_cost(copy_hours(log, start, end, initial), start, end, PRICE)
        print(
            f"{label:18s}: {cost.copy_hours:6.1f} h in 4 weeks -> "
            f"{cost.monthly_hours:5.1f} h/month, "
            f"${cost.monthly_cost:,.0f} vs ${cost.always_on_monthly_cost:,.0f} always on "
            f"({cost.share_of_always_on:.1%}; goal <= 40%)"
        )
    print(f"{'':18s}  ({len(events)} recorded events)")


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
                raise RuntimeError(f"the local endpoint did not answer in 300 s: {error}") from None
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
        simulated_month(Path(work) / "events")
        local_start_stop(Path(work))
