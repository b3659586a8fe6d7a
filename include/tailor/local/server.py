"""The local endpoint: one `transformers serve` process, started and stopped like an instance.

A pid file records what runs; a pid that is gone, or that is not our server any more, is
stale and cleaned up. The process runs in its own session so it outlives the task that
started it, and stopping it frees all its memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tailor.endpoint.observe import EndpointAsleep, Observation


@dataclass(frozen=True)
class ServerState:
    pid: int
    port: int
    model_dir: str
    started_at: str


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class LocalModelServer:
    def __init__(self, state_dir: Path, port: int = 8011, host: str = "127.0.0.1") -> None:
        self.state_dir = Path(state_dir)
        self.port = port
        self.host = host
        self.pid_file = self.state_dir / "server.json"
        self.log_file = self.state_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def state(self) -> ServerState | None:
        """The running server, or None; a stale pid file is removed."""
        if not self.pid_file.exists():
            return None
        state = ServerState(**json.loads(self.pid_file.read_text()))
        command = _cmdline(state.pid)
        if "serve" not in command or f"--port {state.port}" not in command:
            self.pid_file.unlink(missing_ok=True)
            return None
        return state

    async def readiness(self) -> Observation:
        """The one rule for "is it serving?": no process is 0 copies; a process whose health
        check or one-token completion does not answer yet is starting (None); a completion
        answered is 1 copy. Health alone is not enough: the model loads on first use."""
        state = self.state()
        if state is None:
            return Observation(0, "stopped")
        warm_up = {
            "model": state.model_dir,
            "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 1,
        }
        try:
            async with httpx.AsyncClient(base_url=self.url, timeout=120) as client:
                if (await client.get("/health")).status_code != 200:
                    return Observation(None, "starting")
                response = await client.post("/v1/chat/completions", json=warm_up)
        except httpx.HTTPError:
            return Observation(None, "starting")
        if response.status_code != 200:
            return Observation(None, f"warming up (HTTP {response.status_code})")
        return Observation(1, f"serving {state.model_dir} (pid {state.pid})")

    def observe(self) -> Observation:
        """`readiness` from synchronous code (a task, a script)."""
        return asyncio.run(self.readiness())

    def copies(self) -> int | None:
        """1 when serving, 0 when stopped, None while starting."""
        return self.observe().copies

    def start(self, model_dir: Path) -> ServerState:
        """Start serving `model_dir` (restarting if another model is served)."""
        current = self.state()
        if current is not None and current.model_dir == str(model_dir):
            return current
        if current is not None:
            self.stop()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        cache = self.state_dir / "hf-cache"
        cache.mkdir(exist_ok=True)
        env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
        command = [
            str(Path(sys.executable).with_name("transformers")),
            "serve",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--device",
            "cpu",
            "--model-timeout",
            "-1",
            str(model_dir),
        ]
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # not the task: Airflow waits for its stdin socket to close
            )
        state = ServerState(process.pid, self.port, str(model_dir), datetime.now(UTC).isoformat())
        self.pid_file.write_text(json.dumps(asdict(state)))
        return state

    def stop(self, grace_seconds: float = 20) -> bool:
        """Stop gracefully (SIGTERM, then SIGKILL); True if a server was running."""
        state = self.state()
        if state is None:
            return False
        try:
            os.killpg(state.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace_seconds
            while _cmdline(state.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _cmdline(state.pid):
                os.killpg(state.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:  # reap it when this process started it, so no zombie is left behind
            os.waitpid(state.pid, 0)
        except ChildProcessError:
            pass
        self.pid_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_file.exists():
            return ""
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def chat(self, messages: list[dict[str, str]], max_tokens: int = 128, **options: Any) -> dict:
        """One OpenAI-style chat completion; a stopped server raises EndpointAsleep."""
        state = self.state()
        if state is None:
            raise EndpointAsleep(f"local endpoint on port {self.port} is scaled to zero")
        body = {"model": state.model_dir, "messages": messages, "max_tokens": max_tokens, **options}
        try:
            response = httpx.post(f"{self.url}/v1/chat/completions", json=body, timeout=300)
        except httpx.ConnectError as err:
            raise EndpointAsleep(f"local endpoint on port {self.port} is not answering") from err
        response.raise_for_status()
        return response.json()
