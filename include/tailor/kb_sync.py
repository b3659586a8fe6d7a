"""Plan and record knowledge base syncs against the catalog in object storage.

State lives next to the data, under ``<data_root>/kb_sync/``:
``manifests/<hash>.json`` and ``snapshots/<hash>/`` pin what a sync read,
``syncs/<time>-<hash>.json`` records each completed sync, and ``last_synced.json`` (the
commit point, written last) holds the manifest of the last successful sync.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from tailor.catalog import Product, parse_catalog
from tailor.manifest import Manifest, build_manifest, check_sync_allowed, diff_manifests
from tailor.storage import list_text_files, write_atomic

LAST_SYNCED = "last_synced.json"


@dataclass(frozen=True)
class SyncPlan:
    manifest_hash: str
    previous_hash: str | None
    changed: bool
    reason: str
    files: int
    products: int
    added: list[str]
    modified: list[str]
    removed: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_catalog(catalog_root: Any) -> tuple[list[tuple[str, bytes]], list[Product]]:
    """(key, bytes) of every catalog file, and the parsed products; errors name the file."""
    entries = [(key, path, path.read_bytes()) for key, path in list_text_files(catalog_root)]
    products = parse_catalog((str(path), data) for _, path, data in entries)
    return [(key, data) for key, _, data in entries], products


def last_synced(state_root: Any) -> tuple[Manifest | None, dict[str, Any] | None]:
    path = state_root / LAST_SYNCED
    if not path.exists():
        return None, None
    raw = json.loads(path.read_text())
    return Manifest.from_json(json.dumps(raw["manifest"])), raw


def plan_sync(catalog_root: Any, state_root: Any, allow_mass_delete: bool = False) -> SyncPlan:
    """Read and validate the catalog, compare it with the last sync, and pin it if it changed.

    Raises CatalogError for bad records and SyncRefused for a sync that would empty or
    gut the knowledge base; either way nothing already stored is touched.
    """
    files, products = read_catalog(catalog_root)
    manifest = build_manifest(files, products)
    previous, record = last_synced(state_root)
    diff = diff_manifests(previous, manifest)
    changed = previous is None or previous.hash != manifest.hash
    if not changed:
        reason = (
            f"catalog unchanged since the sync of {record['synced_at']} "
            f"(manifest {manifest.hash[:12]}, {len(products)} products): no ingestion needed"
        )
    else:
        check_sync_allowed(diff, len(previous.products) if previous else 0, allow_mass_delete)
        reason = (
            f"catalog changed: {len(diff.added)} added, {len(diff.changed)} modified, "
            f"{len(diff.removed)} removed" + ("" if previous else " (first sync)")
        )
        pinned = state_root / "snapshots" / manifest.hash
        for key, data in files:
            write_atomic(pinned / key, data)
        write_atomic(
            state_root / "manifests" / f"{manifest.hash}.json", manifest.to_json().encode()
        )
    return SyncPlan(
        manifest_hash=manifest.hash,
        previous_hash=previous.hash if previous else None,
        changed=changed,
        reason=reason,
        files=len(files),
        products=len(products),
        added=diff.added,
        modified=diff.changed,
        removed=diff.removed,
    )


def load_manifest(state_root: Any, manifest_hash: str) -> Manifest | None:
    """The manifest a sync pinned, by hash; None if no sync pinned it."""
    path = state_root / "manifests" / f"{manifest_hash}.json"
    return Manifest.from_json(path.read_text()) if path.exists() else None


def load_snapshot(state_root: Any, manifest_hash: str) -> list[Product]:
    """The products exactly as the plan saw them, whatever the catalog holds by now."""
    _, products = read_catalog(state_root / "snapshots" / manifest_hash)
    return products


def record_sync(state_root: Any, plan: dict[str, Any], result: dict[str, Any], run_id: str) -> str:
    """Write the sync record, then move the commit point; return the record's key."""
    synced_at = datetime.now(UTC)
    key = f"syncs/{synced_at:%Y%m%dT%H%M%SZ}-{plan['manifest_hash'][:12]}.json"
    record = {"synced_at": synced_at.isoformat(), "run_id": run_id, "plan": plan, "result": result}
    write_atomic(state_root / key, json.dumps(record, indent=2).encode())
    manifest = json.loads((state_root / "manifests" / f"{plan['manifest_hash']}.json").read_text())
    commit = {"synced_at": record["synced_at"], "record": key, "manifest": manifest}
    write_atomic(state_root / LAST_SYNCED, json.dumps(commit, indent=2).encode())
    return key
