"""Catalog manifests: what a sync saw, so the next sync knows what changed.

A manifest lists every catalog object (key, size, sha256 of the content, which works the
same on disk and on S3 where multipart ETags are not content hashes) and every product's
content hash. Its hash identifies a catalog state: equal hashes mean
there is nothing to ingest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

from tailor.catalog import Product


@dataclass(frozen=True)
class CatalogObject:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    objects: list[CatalogObject]
    products: dict[str, str] = field(default_factory=dict)  # product name -> content hash

    @property
    def hash(self) -> str:
        digest = hashlib.sha256()
        for obj in sorted(self.objects, key=lambda o: o.key):
            digest.update(f"{obj.key}\0{obj.sha256}\n".encode())
        return digest.hexdigest()

    def to_json(self) -> str:
        return json.dumps(
            {
                "hash": self.hash,
                "objects": [asdict(o) for o in self.objects],
                "products": self.products,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        raw = json.loads(text)
        return cls([CatalogObject(**o) for o in raw["objects"]], dict(raw["products"]))


def build_manifest(files: list[tuple[str, bytes]], products: list[Product]) -> Manifest:
    objects = [
        CatalogObject(key, len(data), hashlib.sha256(data).hexdigest()) for key, data in files
    ]
    return Manifest(objects, {p.name: p.content_hash for p in products})


@dataclass(frozen=True)
class CatalogDiff:
    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: list[str]

    @property
    def to_embed(self) -> list[str]:
        return self.added + self.changed


def diff_manifests(previous: Manifest | None, current: Manifest) -> CatalogDiff:
    before = previous.products if previous else {}
    after = current.products
    return CatalogDiff(
        added=sorted(n for n in after if n not in before),
        changed=sorted(n for n in after if n in before and before[n] != after[n]),
        removed=sorted(n for n in before if n not in after),
        unchanged=sorted(n for n in after if before.get(n) == after[n]),
    )


class SyncRefused(ValueError):
    """A sync that would wipe out much of the knowledge base without explicit consent."""


def check_sync_allowed(
    diff: CatalogDiff,
    previous_count: int,
    allow_mass_delete: bool,
    max_delete_fraction: float = 0.5,
) -> None:
    """Refuse an empty catalog, or deleting more than half the products, unless allowed."""
    if allow_mass_delete:
        return
    current_count = len(diff.added) + len(diff.changed) + len(diff.unchanged)
    if current_count == 0:
        raise SyncRefused(
            "the catalog has no products; refusing to sync an empty knowledge base "
            "(trigger with allow_mass_delete=true if this is intended)"
        )
    if previous_count and len(diff.removed) > max_delete_fraction * previous_count:
        raise SyncRefused(
            f"this sync would delete {len(diff.removed)} of {previous_count} products "
            f"(more than {max_delete_fraction:.0%}); trigger with allow_mass_delete=true "
            "if this is intended"
        )
