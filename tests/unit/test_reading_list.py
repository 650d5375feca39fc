"""The recommendations page's reading list: one card per document, however many of its chunks the
recommender lets into the list (with a small knowledge base it lifts its two-per-document cap)."""

from __future__ import annotations

from typing import Any

from luna.domain.recommendations import Recommendation
from luna.web.customer.reading_list import reading_list, section_label


def chunk(item_id: str, index: int, section: str | None = None, **payload: Any) -> Recommendation:
    return Recommendation(
        f"{item_id}-{index}",
        1.0 / (index + 1),
        {"item_id": item_id, "title": f"Titel {item_id}", "section": section, "chunk_idx": index, **payload},
        f"Grund {item_id}-{index}",
    )


def test_ten_chunks_of_four_documents_make_four_cards_each_title_once_in_rank_order() -> None:
    """The demo's four documents and a list of ten: chunks of one document are scattered over the list."""
    ranked = [
        chunk("tarife", 0),
        chunk("tarife", 1, "Dynamische Stromtarife"),
        chunk("netz", 0, "Netzentgelte 2026"),
        chunk("waerme", 2, "Auslegung"),
        chunk("tarife", 3, "Lastverschiebung im Haushalt"),
        chunk("foerderung", 0),
        chunk("netz", 4, "Modul 3"),
        chunk("waerme", 5, "Kosten"),
        chunk("tarife", 6, "Empfehlungen"),
        chunk("foerderung", 1, "Antrag"),
    ]

    cards = reading_list(ranked)

    titles = [card.lead.payload["title"] for card in cards]
    assert titles == ["Titel tarife", "Titel netz", "Titel waerme", "Titel foerderung"]
    tarife = cards[0]
    assert tarife.lead.chunk_id == "tarife-0" and tarife.lead.reason == "Grund tarife-0"
    assert [(s.label, s.item.chunk_id) for s in tarife.more] == [
        ("Dynamische Stromtarife", "tarife-1"),
        ("Lastverschiebung im Haushalt", "tarife-3"),
        ("Empfehlungen", "tarife-6"),
    ]
    assert sum(1 + len(card.more) for card in cards) == len(ranked)  # every chunk is still reachable


def test_two_chunks_of_one_section_are_one_section_and_the_leads_own_is_not_named_again() -> None:
    cards = reading_list(
        [
            chunk("tarife", 3, "Lastverschiebung im Haushalt"),
            chunk("tarife", 4, "Lastverschiebung im Haushalt"),
            chunk("tarife", 1, "Dynamische Stromtarife"),
            chunk("tarife", 2, "Dynamische Stromtarife"),
        ]
    )

    [card] = cards
    assert card.lead.chunk_id == "tarife-3"
    assert [(s.label, s.item.chunk_id) for s in card.more] == [("Dynamische Stromtarife", "tarife-1")]


def test_a_list_of_distinct_documents_stays_as_it_is() -> None:
    ranked = [chunk("a", 0), chunk("b", 0), chunk("c", 0)]

    cards = reading_list(ranked)

    assert [card.lead for card in cards] == ranked and all(card.more == () for card in cards)


def test_a_chunk_without_a_heading_is_named_by_its_page_or_its_place_in_the_document() -> None:
    assert section_label({"section": "Kosten", "page": 4, "chunk_idx": 7}) == "Kosten"
    assert section_label({"section": None, "page": 4, "chunk_idx": 7}) == "Seite 4"
    assert section_label({"section": "", "page": None, "chunk_idx": 0}) == "Anfang des Dokuments"
    assert section_label({"chunk_idx": 7}) == "Textabschnitt 8"
