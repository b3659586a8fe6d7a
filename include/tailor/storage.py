"""Small helpers over pathlib-like objects: `pathlib.Path` or Airflow's ObjectStoragePath."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def is_local(path: Any) -> bool:
    return isinstance(path, Path) or getattr(path, "protocol", "file") in ("file", "local", "")


def write_atomic(path: Any, data: bytes) -> None:
    """Write so readers see the old or the new content, never half of it.

    On disk that is a temporary file and a rename; an S3 PUT is already atomic. Object
    storage has no folders: creating one would call HeadBucket and CreateBucket, which a
    least-privilege policy rightly denies, so parents are made on disk only.
    """
    if not is_local(path):
        path.write_bytes(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    local = Path(path.path) if hasattr(path, "path") else Path(path)
    tmp = local.with_name(f".{local.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, local)


def s3_location(uri: str) -> tuple[str, str]:
    """(bucket, prefix) of an ``s3://bucket/prefix/`` URI, the prefix without slashes around."""
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix.strip("/")


def relative_key(path: Any, root: Any) -> str:
    return str(path)[len(str(root)) :].lstrip("/") or path.name


def list_text_files(root: Any) -> list[tuple[str, Any]]:
    """(key, path) of every .txt object at or below `root`, sorted by key."""
    if root.is_file():
        return [(root.name, root)]
    if not root.exists():
        return []
    files = [(relative_key(p, root), p) for p in root.rglob("*.txt") if p.is_file()]
    return sorted(files, key=lambda item: item[0])
