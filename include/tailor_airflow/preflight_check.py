"""One row of `tailor preflight`'s table, shared by the modules that check one thing each."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def as_list(value) -> list:
    """A policy document's field, which AWS allows as one value or a list of them."""
    return [] if value is None else value if isinstance(value, list) else [value]
