"""Read Tailor's settings from Airflow at run time, and open its storage locations."""

from __future__ import annotations

from typing import Any

from airflow.sdk import ObjectStoragePath, Variable
from airflow.sdk.exceptions import AirflowFailException

from tailor.errors import InputError
from tailor.manifest import SyncRefused
from tailor.settings import Settings, SettingsError


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


def kb_state_root(settings: Settings) -> ObjectStoragePath:
    return storage_path(settings, settings.data_root) / "kb_sync"


def models_root(settings: Settings) -> ObjectStoragePath:
    """The model registry: one folder per version and ``current.json``."""
    return storage_path(settings, settings.data_root) / "models"


def catalog_root(settings: Settings) -> ObjectStoragePath:
    return storage_path(settings, settings.catalog_uri)


def plan_catalog_sync(allow_mass_delete: bool) -> dict[str, Any]:
    """Plan a sync; bad input fails the task at once, since a retry cannot fix a typo."""
    from tailor.kb_sync import plan_sync

    try:
        settings = load_settings()
        plan = plan_sync(catalog_root(settings), kb_state_root(settings), allow_mass_delete)
    except (InputError, SyncRefused, SettingsError) as err:
        raise AirflowFailException(f"{type(err).__name__}: {err}") from err
    print(plan.reason)
    return plan.to_dict()
