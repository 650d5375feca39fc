"""A JSON file reads as text a person would write: a website's texts under their keys' headings, an
export of records as a table (``luna.adapters.extract.json_text``)."""

from __future__ import annotations

import json

from luna.adapters.extract.local import LocalExtractor
from luna.domain.answer_tables import table_rows
from luna.domain.documents import BlockKind

SITE = {
    "translation": {
        "contact.box.title": "Kontakt",
        "contact.box.description": "Haben Sie Fragen an uns? Wir freuen uns auf Ihre Kontaktaufnahme.",
        "contact.box.phone": "052 267 12 12",
        "contact.box.link_target": "/kontakt",
        "contact.box.image": "kontakt.jpg",
        "heating.heat_pump.title": "Wärmepumpe",
        "heating.heat_pump.pros": "ca. 75 % der Wärme stammt aus dem Erdreich",
        "heating.heat_pump.url": "https://stadt.winterthur.ch/waerme",
    }
}


def _read(data: object, name: str = "texte.json") -> list[tuple[str, int | None, str]]:
    doc = LocalExtractor().extract(json.dumps(data, ensure_ascii=False).encode(), "application/json", name)
    return [(block.kind.name, block.level, block.text) for block in doc.blocks]


def test_a_website_s_texts_stand_under_their_keys_headings_without_links_and_images() -> None:
    assert _read(SITE) == [
        ("HEADING", 1, "contact"),
        ("HEADING", 2, "box"),
        ("PARAGRAPH", None, "title: Kontakt"),
        ("PARAGRAPH", None, "Haben Sie Fragen an uns? Wir freuen uns auf Ihre Kontaktaufnahme."),
        ("PARAGRAPH", None, "phone: 052 267 12 12"),
        ("HEADING", 1, "heating"),
        ("HEADING", 2, "heat pump"),
        ("PARAGRAPH", None, "title: Wärmepumpe"),
        ("PARAGRAPH", None, "ca. 75 % der Wärme stammt aus dem Erdreich"),
    ]


def test_the_title_is_the_shallowest_value_named_title() -> None:
    doc = LocalExtractor().extract(
        json.dumps({"title": "Tarifübersicht", "a": {"title": "x"}}).encode(), "", "t.json"
    )
    assert doc.title == "Tarifübersicht"


def test_an_export_of_records_is_a_table() -> None:
    export = {
        "tarife": [{"name": "Basis", "arbeitspreis_ct": 32.4}, {"name": "Öko", "arbeitspreis_ct": 34.1}]
    }

    [heading, table] = (
        LocalExtractor().extract(json.dumps(export).encode(), "application/json", "t.json").blocks
    )

    assert (heading.kind, heading.text, table.kind) == (BlockKind.HEADING, "tarife", BlockKind.TABLE)
    assert [row.text for row in table_rows(table.text)] == [
        "Basis: arbeitspreis ct 32.4",
        "Öko: arbeitspreis ct 34.1",
    ]


def test_text_that_only_looks_like_json_and_deep_nesting_stay_plain_text() -> None:
    broken = LocalExtractor().extract(b'{"a": "Satz ohne Ende', "application/json", "kaputt.json")
    deep = LocalExtractor().extract(b"[" * 5_000 + b"]" * 5_000, "application/json", "tief.json")

    assert [block.kind for block in broken.blocks] == [BlockKind.PARAGRAPH]
    assert all(block.kind is BlockKind.PARAGRAPH for block in deep.blocks) or deep.blocks == []
