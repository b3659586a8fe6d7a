"""One polling loop and one ``serialize`` for the waits the Amazon provider has no trigger
for: a Bedrock ingestion job's end (the provider's sensor takes STOPPED for success), a
copy count (the provider waits for InService, not for N copies), a local model server."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent


@dataclass(frozen=True)
class Poll:
    """One look at the resource: `end` ends the wait with that event; otherwise `progress`
    is logged and `seen` is what a timeout reports."""

    end: dict[str, Any] | None = None
    progress: str = ""
    seen: dict[str, Any] = field(default_factory=dict)


class PollingTrigger(BaseTrigger):
    """Poll every `poll_interval` seconds, at most `max_attempts` times; a subclass says how
    to look (`poll`), and every end state it does not recognise as running ends the wait."""

    def __init__(self, poll_interval: float = 30, max_attempts: int = 40) -> None:
        super().__init__()
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts

    async def poll(self) -> Poll:
        raise NotImplementedError

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Every named ``__init__`` argument along the class chain, read back from the
        attribute of the same name: a subclass adds arguments, never a serialize."""
        names: dict[str, None] = {}
        for cls in type(self).__mro__:
            if not issubclass(cls, PollingTrigger):
                break
            if "__init__" in vars(cls):
                for parameter in inspect.signature(vars(cls)["__init__"]).parameters.values():
                    if parameter.name != "self" and parameter.kind in (
                        parameter.POSITIONAL_OR_KEYWORD,
                        parameter.KEYWORD_ONLY,
                    ):
                        names[parameter.name] = None
        path = f"{type(self).__module__}.{type(self).__qualname__}"
        return path, {name: getattr(self, name) for name in names}

    async def run(self) -> AsyncIterator[TriggerEvent]:
        seen: dict[str, Any] = {}
        for attempt in range(1, self.max_attempts + 1):
            poll = await self.poll()
            if poll.end is not None:
                yield TriggerEvent(poll.end)
                return
            seen = poll.seen
            self.log.info("%s (check %d/%d)", poll.progress, attempt, self.max_attempts)
            if attempt < self.max_attempts:
                await asyncio.sleep(self.poll_interval)
        yield TriggerEvent({"status": "timeout", **seen})
