"""Copy the sample catalog and test set into the data folder, unless they are there already.

The source is `sample_data/`, or the folder in TAILOR_DEMO_DATA (`make demo DATA=<folder>`)
holding a `product_catalog.txt` and a `test_set.json` in the reference's format.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tailor.settings import REPO_ROOT, settings_from_env


def seed() -> Path | None:
    """Seed local data; return the catalog folder (None when the data lives on S3)."""
    settings = settings_from_env()
    source = Path(os.environ.get("TAILOR_DEMO_DATA") or REPO_ROOT / "sample_data")
    if not settings.catalog_uri.startswith("file://"):
        return None
    catalog = Path(settings.catalog_uri.removeprefix("file://"))
    if not (catalog.exists() and any(catalog.rglob("*.txt"))):
        catalog.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / "product_catalog.txt", catalog)
        print(f"Seeded the catalog of {source} into {catalog}")
    test_set = Path(settings.test_set_uri.removeprefix("file://"))
    if settings.test_set_uri.startswith("file://") and not test_set.exists():
        shutil.copy(source / "test_set.json", test_set)
        print(f"Seeded the test set of {source} at {test_set}")
    return catalog


if __name__ == "__main__":
    seed()
