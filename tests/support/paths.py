"""Where the repository and its sample data are."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE_CATALOG = REPO / "sample_data" / "product_catalog.txt"
SAMPLE_TEST_SET = REPO / "sample_data" / "test_set.json"
