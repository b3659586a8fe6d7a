"""The embedded Knowledge Base: MiniLM chunks in a versioned LanceDB table.

Why LanceDB: it is an embedded, file-based vector store whose every write is an atomic,
numbered table version that can be checked out later. Tailor records which table version
each completed sync produced (``syncs.json``), so the knowledge base "as of" any past sync
or date can be queried again, and readers only ever see completed syncs. Writers take a
file lock, so two syncs at once run one after the other instead of interleaving.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from tailor.catalog import Product
from tailor.local.chunking import token_windows
from tailor.local.embedding import MiniLMEmbedder
from tailor.retrieval import RetrievedChunk
from tailor.settings import Settings

TABLE = "chunks"


@dataclass(frozen=True)
class SyncVersion:
    """One completed sync: the table version it produced and what it changed."""

    kb_version: int
    table_version: int
    manifest_hash: str
    synced_at: str  # ISO 8601, UTC
    products: int
    chunks: int
    added: list[str]
    changed: list[str]
    removed: list[str]
    chunks_embedded: int
    seconds: float


def product_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


class LocalKnowledgeBase:
    def __init__(
        self,
        root: Path,
        embedder: MiniLMEmbedder | None = None,
        chunk_tokens: int = 200,
        chunk_overlap: int = 40,
    ) -> None:
        self.root = Path(root)
        self.embedder = embedder or MiniLMEmbedder()
        self.chunk_tokens = chunk_tokens
        self.chunk_overlap = chunk_overlap

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalKnowledgeBase:
        """The store under ``data_root``, chunked as the settings say: sync and retrieval
        must agree on both."""
        return cls(
            settings.local_kb_dir,
            chunk_tokens=settings.chunk_tokens,
            chunk_overlap=settings.chunk_overlap,
        )

    # -- versions ---------------------------------------------------------------------
    @property
    def _log_path(self) -> Path:
        return self.root / "syncs.json"

    def versions(self) -> list[SyncVersion]:
        if not self._log_path.exists():
            return []
        return [SyncVersion(**v) for v in json.loads(self._log_path.read_text())]

    def _append_version(self, version: SyncVersion) -> None:
        versions = [asdict(v) for v in self.versions()] + [asdict(version)]
        tmp = self._log_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(versions, indent=2))
        os.replace(tmp, self._log_path)  # atomic: a crash leaves the old log intact

    def version_as_of(self, when: datetime | None = None) -> SyncVersion | None:
        """The last sync completed at or before `when` (the latest when None)."""
        versions = self.versions()
        if when is None:
            return versions[-1] if versions else None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        eligible = [v for v in versions if datetime.fromisoformat(v.synced_at) <= when]
        return eligible[-1] if eligible else None

    # -- writing ----------------------------------------------------------------------
    @contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _table(self):
        import lancedb
        import pyarrow as pa

        db = lancedb.connect(str(self.root / "lancedb"))
        if TABLE in db.list_tables().tables:
            return db.open_table(TABLE)
        schema = pa.schema(
            [
                ("chunk_id", pa.string()),
                ("product", pa.string()),
                ("chunk_index", pa.int32()),
                ("text", pa.string()),
                ("product_hash", pa.string()),
                ("vector", pa.list_(pa.float32(), self.embedder.dimensions)),
            ]
        )
        return db.create_table(TABLE, schema=schema)

    def chunk(self, product: Product) -> list[dict]:
        spans = token_windows(
            product.text, self.embedder.tokenizer, self.chunk_tokens, self.chunk_overlap
        )
        slug = product_slug(product.name)
        rows = []
        for index, (start, end) in enumerate(spans):
            text = product.text[start:end]
            if index:  # later windows lose the Name: line; keep chunks attributable
                text = f"Name: {product.name}\n{text}"
            rows.append(
                {
                    "chunk_id": f"{slug}#{index}",
                    "product": product.name,
                    "chunk_index": index,
                    "text": text,
                    "product_hash": product.content_hash,
                }
            )
        return rows

    def _stored_hashes(self, table) -> dict[str, str]:
        rows = table.search().select(["product", "product_hash"]).limit(None).to_list()
        return {r["product"]: r["product_hash"] for r in rows}

    def apply(self, manifest_hash: str, products: list[Product]) -> SyncVersion:
        """Make the store hold exactly `products`, re-embedding only what differs.

        The diff is taken against the hashes stored with the chunks themselves, so it is
        exact whatever the caller believes was synced last. Idempotent: applying the
        manifest the latest version holds changes nothing. A sync that crashed half way is
        rolled back to the last completed version first.
        """
        started = time.perf_counter()
        with self._lock():
            latest = self.version_as_of(None)
            if latest is not None and latest.manifest_hash == manifest_hash:
                return latest
            table = self._table()
            if latest is not None and table.version != latest.table_version:
                table.restore(latest.table_version)
            stored = self._stored_hashes(table)
            current = {p.name: p for p in products}
            upserts = [p for p in products if stored.get(p.name) != p.content_hash]
            removed = sorted(set(stored) - set(current))
            stale = [p.name for p in upserts if p.name in stored] + removed
            if stale:
                table.delete(f"product IN ({_sql_list(stale)})")
            rows = [row for product in upserts for row in self.chunk(product)]
            if rows:
                vectors = self.embedder.embed([r["text"] for r in rows])
                for row, vector in zip(rows, vectors, strict=True):
                    row["vector"] = vector
                table.add(rows)
            version = SyncVersion(
                kb_version=latest.kb_version + 1 if latest else 1,
                table_version=table.version,
                manifest_hash=manifest_hash,
                synced_at=datetime.now(UTC).isoformat(),
                products=len(current),
                chunks=table.count_rows(),
                added=sorted(p.name for p in upserts if p.name not in stored),
                changed=sorted(p.name for p in upserts if p.name in stored),
                removed=removed,
                chunks_embedded=len(rows),
                seconds=round(time.perf_counter() - started, 3),
            )
            self._append_version(version)
            return version

    # -- reading ----------------------------------------------------------------------
    def retrieve(
        self, query: str, top_k: int = 3, as_of: datetime | None = None
    ) -> list[RetrievedChunk]:
        """Top-k chunks by cosine similarity (score = 1 - cosine distance), as of a sync."""
        version = self.version_as_of(as_of)
        if version is None:
            return []
        table = self._table()
        table.checkout(version.table_version)
        vector = self.embedder.embed([query])[0]
        hits = table.search(vector).metric("cosine").limit(top_k).to_list()
        return [
            RetrievedChunk(h["chunk_id"], h["product"], h["text"], round(1.0 - h["_distance"], 6))
            for h in hits
        ]
