"""The model registry in object storage: one folder per version, and a `current.json` pointer.

A version's ``lineage.json`` says where it came from; ``current.json`` (written last,
atomically) says which version the endpoint serves. A rejected candidate is recorded but
never becomes current.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from tailor.storage import write_atomic

CURRENT = "current.json"


def version_name(run_id: str) -> str:
    """A stable version per DAG run, so a retried task finds its own model again."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:8]
    stamp = re.sub(r"[^0-9]", "", run_id)[:12] or "manual"
    return f"ft-{stamp}-{digest}"


def read_current(root: Any) -> dict[str, Any] | None:
    path = root / CURRENT
    return json.loads(path.read_text()) if path.exists() else None


def write_lineage(root: Any, version: str, lineage: dict[str, Any]) -> None:
    write_atomic(root / version / "lineage.json", json.dumps(lineage, indent=2).encode())


def promote(root: Any, record: dict[str, Any]) -> None:
    """Make `record` (version, path, ...) the current model; keep the previous one on file."""
    previous = read_current(root)
    write_atomic(
        root / CURRENT,
        json.dumps({**record, "previous": previous and previous["version"]}, indent=2).encode(),
    )


def read_lineage(root: Any, version: str) -> dict[str, Any] | None:
    path = root / version / "lineage.json"
    return json.loads(path.read_text()) if path.exists() else None


def trained_on(root: Any, version: str | None) -> str | None:
    """The catalog manifest hash `version` was trained on; None for the base model or a
    version without lineage."""
    lineage = read_lineage(root, version) if version and version != "base" else None
    return lineage and (lineage.get("catalog") or {}).get("manifest_hash")


def latest_attempt(root: Any) -> dict[str, Any] | None:
    """The lineage of the most recently recorded fine-tune, promoted or not."""
    if not root.exists():
        return None
    found = (read_lineage(root, folder.name) for folder in root.iterdir() if folder.name != CURRENT)
    lineages = [lineage for lineage in found if lineage and lineage.get("recorded_at")]
    return max(lineages, key=lambda lin: lin["recorded_at"], default=None)
