"""Parse the product catalog in the reference implementation's text format.

A record starts at a ``Name:`` line and has the sections ``Description:``,
``Safety_instructions:``, ``Configuration:`` and ``Operation:``; a section's text runs over
as many lines as it needs, until the next header. Lines such as ``Note: ...`` or
``Weight: 6.2 kg`` inside a section are text, not headers: a label is only treated as a
(bad) header when it is written like one of ours (``Field_name:``) or is a near miss of a
known header (``Descripton:``, ``Safety instructions:``). That keeps long real-world
catalogs parseable while still catching typos and unknown fields.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tailor.errors import InputError

HEADERS = ("Name", "Description", "Safety_instructions", "Configuration", "Operation")
_CANONICAL = {h.lower(): h for h in HEADERS}
_LABEL = re.compile(r"^(?P<label>[A-Za-z]+(?:[ _][A-Za-z]+)?)\s*:(?P<rest>.*)$")


class CatalogError(InputError):
    """A catalog file that cannot be parsed; names the file and line."""


@dataclass(frozen=True)
class Product:
    """One catalog record, with its exact text for chunking and hashing."""

    name: str
    sections: dict[str, str]
    source: str
    line: int
    text: str = field(repr=False)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def decode_catalog(data: bytes, source: str) -> str:
    """Decode strict UTF-8 (a BOM is allowed); report the line of the first bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CatalogError(
            source,
            line,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save the catalog as UTF-8",
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _header_of(line: str, source: str, lineno: int) -> tuple[str, str] | None:
    """Return (header, rest) for a header line, None for text; raise on a bad header."""
    match = _LABEL.match(line)
    if not match:
        return None
    label = match["label"]
    canonical = _CANONICAL.get(label.lower())
    if canonical:
        return canonical, match["rest"].strip()
    normalised = label.lower().replace(" ", "_")
    near = difflib.get_close_matches(normalised, list(_CANONICAL), n=1, cutoff=0.8)
    if near:
        raise CatalogError(
            source, lineno, f"unknown header '{label}:' (did you mean '{_CANONICAL[near[0]]}:'?)"
        )
    if "_" in label:
        raise CatalogError(
            source, lineno, f"unknown header '{label}:'; expected one of {', '.join(HEADERS)}"
        )
    return None


def parse_catalog_text(text: str, source: str) -> list[Product]:
    """Parse one catalog file's text into products, validating every record."""
    products: list[Product] = []
    current: dict | None = None

    def close(record: dict | None) -> None:
        if record is None:
            return
        missing = [h for h in HEADERS if h not in record["sections"]]
        if missing:
            raise CatalogError(
                source,
                record["line"],
                f"product '{record['sections']['Name']}' has no "
                + ", ".join(f"'{h}:'" for h in missing)
                + " section",
            )
        sections = {h: "\n".join(lines).strip() for h, lines in record["sections"].items()}
        sections["Name"] = sections["Name"].splitlines()[0].strip() if sections["Name"] else ""
        body = "\n".join(record["lines"]).rstrip()
        products.append(Product(sections["Name"], sections, source, record["line"], body))

    section: str | None = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        header = _header_of(line, source, lineno)
        if header is None:
            if current is None:
                if line.strip():
                    raise CatalogError(source, lineno, "text before the first 'Name:' header")
                continue
            current["lines"].append(line)
            current["sections"][section].append(line)
            continue
        name, rest = header
        if name == "Name":
            close(current)
            if not rest:
                raise CatalogError(source, lineno, "'Name:' header with an empty product name")
            current = {"line": lineno, "lines": [line], "sections": {"Name": [rest]}}
            section = "Name"
            continue
        if current is None:
            raise CatalogError(source, lineno, f"'{name}:' before the first 'Name:' header")
        if name in current["sections"]:
            raise CatalogError(
                source,
                lineno,
                f"second '{name}:' section in product '{current['sections']['Name'][0]}' "
                f"(line {current['line']})",
            )
        current["lines"].append(line)
        current["sections"][name] = [rest] if rest else []
        section = name
    close(current)
    return products


def parse_catalog(files: Iterable[tuple[str, bytes]]) -> list[Product]:
    """Parse one or many catalog files; product names must be unique across all of them."""
    seen: dict[str, Product] = {}
    for source, data in files:
        for product in parse_catalog_text(decode_catalog(data, source), source):
            first = seen.get(product.name)
            if first is not None:
                raise CatalogError(
                    product.source,
                    product.line,
                    f"duplicate product name '{product.name}' "
                    f"(first defined at {first.source}:{first.line})",
                )
            seen[product.name] = product
    return list(seen.values())
