"""Manifests, catalog diffs, and the guardrails against gutting the knowledge base."""

from __future__ import annotations

import pytest

from tailor.catalog import parse_catalog
from tailor.manifest import (
    Manifest,
    SyncRefused,
    build_manifest,
    check_sync_allowed,
    diff_manifests,
)
from tests.support.catalogs import records


def manifest_of(*files: tuple[str, str]) -> Manifest:
    encoded = [(key, text.encode()) for key, text in files]
    return build_manifest(encoded, parse_catalog(encoded))


def test_hash_depends_on_content_not_listing_order():
    a = manifest_of(("a.txt", records("A")), ("b.txt", records("B")))
    b = manifest_of(("b.txt", records("B")), ("a.txt", records("A")))
    c = manifest_of(("a.txt", records("A")), ("b.txt", records("B") + " "))
    assert a.hash == b.hash
    assert a.hash != c.hash
    assert Manifest.from_json(a.to_json()) == a


def test_diff_names_added_changed_removed_products():
    before = manifest_of(("c.txt", records("A", "B", "C")))
    after = manifest_of(
        (
            "c.txt",
            records("A", "C", "D").replace(
                "Name: C\nDescription: A C", "Name: C\nDescription: A new C"
            ),
        )
    )
    diff = diff_manifests(before, after)
    assert (diff.added, diff.changed, diff.removed, diff.unchanged) == (["D"], ["C"], ["B"], ["A"])
    assert diff.to_embed == ["D", "C"]
    assert diff_manifests(None, before).added == ["A", "B", "C"]


def test_empty_catalog_is_refused_unless_allowed():
    diff = diff_manifests(manifest_of(("c.txt", records("A"))), Manifest([], {}))
    with pytest.raises(SyncRefused, match="no products"):
        check_sync_allowed(diff, previous_count=1, allow_mass_delete=False)
    check_sync_allowed(diff, previous_count=1, allow_mass_delete=True)


def test_deleting_more_than_half_is_refused_unless_allowed():
    before = manifest_of(("c.txt", records("A", "B", "C", "D")))
    half = diff_manifests(before, manifest_of(("c.txt", records("A", "B"))))
    check_sync_allowed(half, previous_count=4, allow_mass_delete=False)  # exactly half is fine
    most = diff_manifests(before, manifest_of(("c.txt", records("A"))))
    with pytest.raises(SyncRefused, match="delete 3 of 4 products"):
        check_sync_allowed(most, previous_count=4, allow_mass_delete=False)
    check_sync_allowed(most, previous_count=4, allow_mass_delete=True)
