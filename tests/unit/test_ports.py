"""Reserved ports: distinct, free, below the ephemeral range, and a dead owner's claim reused."""

from __future__ import annotations

import os
import socket

from tailor.local import ports


def test_reserved_ports_are_distinct_free_and_outside_the_ephemeral_range():
    reserved = [ports.reserve_port() for _ in range(20)]
    assert len(set(reserved)) == 20
    assert all(ports.LOWEST <= p < ports._ephemeral_floor() for p in reserved)
    for port in reserved:  # each can be bound by the server it is meant for
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))
        assert (ports.CLAIMS / str(port)).read_text() == str(os.getpid())


def test_a_live_claim_is_skipped_and_a_dead_one_reclaimed(monkeypatch, tmp_path):
    monkeypatch.setattr(ports, "CLAIMS", tmp_path)
    (tmp_path / "25000").write_text("1")  # pid 1 is alive: someone else's port
    (tmp_path / "25001").write_text("999999999")  # no such process: a stale claim
    picks = iter([25000, 25001])
    monkeypatch.setattr(ports.random, "randrange", lambda low, high: next(picks))
    assert ports.reserve_port() == 25001
