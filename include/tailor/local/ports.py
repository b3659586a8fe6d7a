"""Loopback ports for servers started by tests and benchmarks, never a fixed number.

Asking the kernel for port 0 and closing the socket leaves a window in which any other
program may be handed the same port. A port reserved here is instead taken from below the
kernel's ephemeral range (so no outgoing connection is ever given it), checked free, and
claimed by a lock file carrying our pid until this process exits: another caller of
`reserve_port` on the machine skips it, a dead owner's claim is reclaimed.
"""

from __future__ import annotations

import atexit
import os
import random
import socket
import tempfile
from pathlib import Path

CLAIMS = Path(tempfile.gettempdir()) / "tailor-ports"
LOWEST = 20000


def _ephemeral_floor() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _claim(port: int) -> bool:
    claim = CLAIMS / str(port)
    try:
        fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        try:
            owner = int(claim.read_text() or "0")
        except (OSError, ValueError):
            return False
        if owner and _alive(owner):
            return False
        claim.unlink(missing_ok=True)  # a dead owner's claim: take it over
        return _claim(port)
    with os.fdopen(fd, "w") as out:
        out.write(str(os.getpid()))
    atexit.register(claim.unlink, missing_ok=True)
    return True


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def reserve_port() -> int:
    """A loopback port free now and claimed for this process until it exits."""
    CLAIMS.mkdir(exist_ok=True)
    ceiling = _ephemeral_floor()
    for _ in range(500):
        port = random.randrange(LOWEST, ceiling)
        if _claim(port):
            if _free(port):
                return port
            (CLAIMS / str(port)).unlink(missing_ok=True)
    raise RuntimeError(f"no free loopback port in {LOWEST}-{ceiling}")
