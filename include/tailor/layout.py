"""The folders under ``data_root``, named in one place.

The same layout is read through a local `Path` (the embedded backend, scripts) and through
Airflow's `ObjectStoragePath` (``s3://`` on aws): both join with ``/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

P = TypeVar("P")  # Path or ObjectStoragePath

CATALOG = "catalog"  # the catalog files kb_sync reads, unless catalog_uri says otherwise
TEST_SET = "test_set.json"  # the evaluation test set, unless test_set_uri says otherwise


@dataclass(frozen=True)
class DataLayout(Generic[P]):
    root: P

    @property
    def kb_sync(self) -> P:
        """Sync manifests, catalog snapshots and the last-synced commit."""
        return self.root / "kb_sync"

    @property
    def knowledge_base(self) -> P:
        """The embedded backend's LanceDB store."""
        return self.root / "knowledge_base"

    @property
    def models(self) -> P:
        """The model registry: one folder per version, ``current.json``."""
        return self.root / "models"

    @property
    def endpoint(self) -> P:
        """Scaling events, leases, cost reports, the local server's state."""
        return self.root / "endpoint"

    @property
    def evaluations(self) -> P:
        """One folder per evaluated night, and the history."""
        return self.root / "evaluations"
