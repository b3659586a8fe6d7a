"""Read Tailor's settings from Airflow at run time, and open its storage locations."""

from __future__ import annotations

from airflow.sdk import ObjectStoragePath, Variable

from tailor.layout import DataLayout
from tailor.settings import Settings


def load_settings() -> Settings:
    """Variable ``tailor_settings`` (JSON) with ``tailor_backend`` on top; defaults otherwise."""
    mapping = dict(Variable.get("tailor_settings", default={}, deserialize_json=True))
    backend = Variable.get("tailor_backend", default=None)
    if backend:
        mapping["backend"] = backend
    return Settings.from_mapping(mapping)


def storage_path(settings: Settings, uri: str) -> ObjectStoragePath:
    conn_id = settings.aws_conn_id if uri.startswith("s3://") else None
    return ObjectStoragePath(uri, conn_id=conn_id)


def data_layout(settings: Settings) -> DataLayout[ObjectStoragePath]:
    """The data_root folders, on the backend's storage."""
    return DataLayout(storage_path(settings, settings.data_root))


def kb_state_root(settings: Settings) -> ObjectStoragePath:
    return data_layout(settings).kb_sync


def models_root(settings: Settings) -> ObjectStoragePath:
    return data_layout(settings).models


def catalog_root(settings: Settings) -> ObjectStoragePath:
    return storage_path(settings, settings.catalog_uri)


def synced_catalog(settings: Settings) -> dict[str, str]:
    """Each product's text as the Knowledge Base last synced it (none before a sync): what
    the key-point judge checks an answer's added claims against, and what tells which product
    a retrieved chunk is."""
    from tailor.kb_sync import last_synced, load_snapshot

    manifest, _ = last_synced(kb_state_root(settings))
    if manifest is None:
        return {}
    return {p.name: p.text for p in load_snapshot(kb_state_root(settings), manifest.hash)}
