"""The catalog parser: the reference's format, many-file catalogs, and every bad input."""

from __future__ import annotations

import pytest

from tailor.catalog import HEADERS, CatalogError, parse_catalog, parse_catalog_text
from tailor.kb_sync import read_catalog
from tests.support.catalogs import RECORD, records
from tests.support.paths import SAMPLE_CATALOG


def test_sample_catalog_has_sixteen_complete_products():
    products = parse_catalog([(str(SAMPLE_CATALOG), SAMPLE_CATALOG.read_bytes())])
    assert len(products) == 16
    for product in products:
        assert list(product.sections) == list(HEADERS)
        assert all(product.sections[h] for h in HEADERS), product.name
        assert 1000 <= len(product.text.encode()) <= 3000, product.name


def test_sections_span_lines_and_keep_prose_labels():
    text = RECORD.format(name="Kettle").replace(
        "Operation: Press start.",
        "Operation: Press start.\nNote: wait for the beep.\nWeight: 1.2 kg\nStep 2: pour.",
    )
    (product,) = parse_catalog_text(text, "k.txt")
    assert product.sections["Description"] == "A Kettle for tests.\nIt spans two lines."
    assert product.sections["Operation"].endswith(
        "Note: wait for the beep.\nWeight: 1.2 kg\nStep 2: pour."
    )
    assert product.line == 1


def test_reference_scale_catalog_with_long_products():
    """15 products of ~20 KB each (the reference's ~300 KB), sections over many lines."""
    paragraph = (
        "The unit's housing is made of recycled aluminium, rated for 10,000 hours.\n"
        "Note: keep the vents clear of dust.\n"
    ) * 50
    text = "\n".join(
        f"Name: Reference Product {i}\nDescription: {paragraph}Safety_instructions: {paragraph}"
        f"Configuration: {paragraph}Operation: {paragraph}"
        for i in range(15)
    )
    assert len(text) > 280_000
    products = parse_catalog([("reference/catalog.txt", text.encode())])
    assert [p.name for p in products] == [f"Reference Product {i}" for i in range(15)]
    assert all(p.sections["Operation"].count("\n") == 99 for p in products)


def test_windows_line_endings_and_bom_are_accepted():
    data = "\ufeff".encode() + records("A", "B").replace("\n", "\r\n").encode()
    assert [p.name for p in parse_catalog([("win.txt", data)])] == ["A", "B"]


def test_catalog_as_many_files_under_a_prefix(tmp_path):
    (tmp_path / "kitchen").mkdir()
    (tmp_path / "kitchen" / "kettles.txt").write_text(records("Kettle", "Toaster"))
    (tmp_path / "garden.txt").write_text(records("Mower"))
    (tmp_path / "README.md").write_text("not a catalog file")
    files, products = read_catalog(tmp_path)
    assert [key for key, _ in files] == ["garden.txt", "kitchen/kettles.txt"]
    assert sorted(p.name for p in products) == ["Kettle", "Mower", "Toaster"]
    assert {p.name: p.source.rsplit("/", 1)[-1] for p in products}["Toaster"] == "kettles.txt"


@pytest.mark.parametrize(
    ("replace", "by", "line", "message"),
    [
        (
            "Configuration: Plug it in.",
            "Warranty_info: 2 years",
            5,
            "unknown header 'Warranty_info:'",
        ),
        ("Description: A", "Descripton: A", 2, "did you mean 'Description:'"),
        ("Safety_instructions:", "Safety instructions:", 4, "did you mean 'Safety_instructions:'"),
        ("Operation: Press start.\n", "", 1, "has no 'Operation:' section"),
        ("Name: Kettle", "Name:", 1, "empty product name"),
        (
            "Configuration: Plug it in.",
            "Configuration: x\nConfiguration: y",
            6,
            "second 'Configuration:'",
        ),
    ],
)
def test_bad_records_name_file_and_line(replace, by, line, message):
    text = RECORD.format(name="Kettle").replace(replace, by)
    with pytest.raises(CatalogError, match=message) as exc:
        parse_catalog_text(text, "catalog/kettle.txt")
    assert (exc.value.source, exc.value.line) == ("catalog/kettle.txt", line)
    assert str(exc.value).startswith(f"catalog/kettle.txt:{line}: ")


def test_text_before_first_record():
    with pytest.raises(CatalogError, match="before the first 'Name:'") as exc:
        parse_catalog_text("Our catalog\n" + records("A"), "c.txt")
    assert exc.value.line == 1


def test_not_utf8_names_the_line():
    data = records("A", "B").encode().replace(b"Press start", b"Press st\xe4rt", 1)
    with pytest.raises(CatalogError, match=r"not valid UTF-8 \(byte 0xe4") as exc:
        parse_catalog([("latin1.txt", data)])
    assert (exc.value.source, exc.value.line) == ("latin1.txt", 6)


def test_duplicate_product_in_one_file_and_across_files():
    with pytest.raises(
        CatalogError, match=r"duplicate product name 'A' \(first defined at one.txt:1\)"
    ) as exc:
        parse_catalog([("one.txt", records("A", "A").encode())])
    assert exc.value.line == 8
    with pytest.raises(CatalogError, match=r"first defined at one.txt:1") as exc:
        parse_catalog([("one.txt", records("A").encode()), ("two.txt", records("B", "A").encode())])
    assert (exc.value.source, exc.value.line) == ("two.txt", 8)
