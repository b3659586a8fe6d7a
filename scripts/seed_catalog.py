"""Copy the sample catalog into the data folder, unless a catalog is already there."""

from __future__ import annotations

import shutil
from pathlib import Path

from tailor.settings import REPO_ROOT, settings_from_env


def seed() -> Path | None:
    settings = settings_from_env()
    if not settings.catalog_uri.startswith("file://"):
        return None
    catalog = Path(settings.catalog_uri.removeprefix("file://"))
    if catalog.exists() and any(catalog.rglob("*.txt")):
        return catalog
    catalog.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "sample_data" / "product_catalog.txt", catalog / "product_catalog.txt")
    print(f"Seeded the sample catalog into {catalog}")
    return catalog


if __name__ == "__main__":
    seed()
