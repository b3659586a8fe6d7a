"""Catalog text made for tests: records in the reference's format, and edits of the sample."""

from __future__ import annotations

import re

from tests.support.paths import SAMPLE_CATALOG

PRODUCTS = re.findall(r"^Name: (.+)$", SAMPLE_CATALOG.read_text(), re.M)

RECORD = """Name: {name}
Description: A {name} for tests.
It spans two lines.
Safety_instructions: Keep dry.
Configuration: Plug it in.
Operation: Press start.
"""


def records(*names: str) -> str:
    return "\n".join(RECORD.format(name=n) for n in names)


def edit(catalog, count: int) -> None:
    """Append a sentence to the Operation section of the first `count` products."""
    text = (catalog / "product_catalog.txt").read_text()
    for name in PRODUCTS[:count]:
        start = text.index(f"Name: {name}")
        at = text.index("Operation:", start)
        end = text.find("\nName:", at)
        end = len(text) if end < 0 else end
        text = text[:end].rstrip("\n") + " Updated for the 2027 model year.\n" + text[end:]
    (catalog / "product_catalog.txt").write_text(text)
