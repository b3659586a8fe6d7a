"""The Bedrock custom models Tailor made, and which of them retention keeps.

A custom model is billed for storage every month it exists, served or not. Tailor keeps
rejected candidates' models (unless ``delete_rejected_custom_models``) and every previously
promoted one, so they accumulate: ``models/custom_models/<name>.json`` records each one
Tailor made (written when its job completes: one file per model, as a sweep's candidates
finish side by side), retention (``keep_custom_models``) deletes all but the newest N —
never the one served — and the cost report prices their storage.
"""

from __future__ import annotations

import json
from typing import Any

from tailor.storage import write_atomic

REGISTRY = "custom_models"


def recorded(root: Any) -> list[dict[str, Any]]:
    """Every custom model Tailor made and has not deleted, oldest first (name, arn, version,
    candidate, created_at)."""
    folder = root / REGISTRY
    if not folder.exists():
        return []
    models = [
        json.loads(path.read_text()) for path in folder.iterdir() if path.name.endswith(".json")
    ]
    return sorted(models, key=lambda m: m["created_at"])


def record(root: Any, model: dict[str, Any]) -> None:
    """Add a custom model (a retried task writes the same record again)."""
    write_atomic(root / REGISTRY / f"{model['name']}.json", json.dumps(model, indent=2).encode())


def forget(root: Any, names: list[str]) -> None:
    """Drop deleted models from the record."""
    for name in names:
        path = root / REGISTRY / f"{name}.json"
        if path.exists():
            path.unlink()


def beyond_retention(
    models: list[dict[str, Any]], keep: int, served_arn: str | None
) -> list[dict[str, Any]]:
    """The models retention deletes: all but the newest `keep` (0: none), never the served
    one (`served_arn`), which counts among the `keep`."""
    if not keep:
        return []
    newest = sorted(models, key=lambda m: m["created_at"], reverse=True)
    served = [m for m in newest if m["arn"] == served_arn]
    others = [m for m in newest if m["arn"] != served_arn]
    return others[max(0, keep - len(served)) :]
