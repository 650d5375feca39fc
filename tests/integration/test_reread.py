"""Stored documents read again with the current extractor (``services/knowledge/reread.py``): after an
upgrade of Luna's readers, a document ingested before gets what they find now, as its next version."""

from __future__ import annotations

import pytest

from luna.adapters.extract import pdf
from luna.container import Container
from luna.services.knowledge.ingest import IngestRequest
from luna.services.knowledge.ingest_rules import raw_blob_prefix
from tests.integration import test_knowledge_base
from tests.unit.test_pdf_unruled_rows import invoice_pdf

#: The knowledge base on both SQL backends, as ``test_knowledge_base`` builds it.
container = test_knowledge_base.container


def _chunk_texts(container: Container, item_id: str) -> str:
    with container.database.unit_of_work(read_only=True) as uow:
        return " ".join(chunk.text for chunk in uow.chunks.list_for_item(item_id))


def _ingest_with_old_reader(container: Container, monkeypatch: pytest.MonkeyPatch, **fields: object) -> str:
    """The invoice as the PDF reader read it before unruled rows were (an amount set apart was dropped)."""
    monkeypatch.setattr(pdf, "merge_rows", lambda boxes, tables=(): list(boxes))
    request = IngestRequest(data=invoice_pdf(), filename="rechnung.pdf", **fields)  # type: ignore[arg-type]
    item_id = container.services.knowledge.ingest.ingest(request).item_id
    monkeypatch.undo()
    return item_id


def test_a_document_read_differently_now_gets_a_new_version_once(
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    item_id = _ingest_with_old_reader(container, monkeypatch)
    assert "932,40" not in _chunk_texts(container, item_id)
    kb = container.services.knowledge

    first = kb.rereader.reread()
    second = kb.rereader.reread([item_id])

    assert (first.items, first.new_versions, first.unchanged, first.failed) == (1, [item_id], 0, [])
    assert (second.new_versions, second.unchanged) == ([], 1)
    with container.database.unit_of_work(read_only=True) as uow:
        item = uow.items.get(item_id)
    assert item is not None and item.version == 2
    assert "Zahlbetrag 932,40" in _chunk_texts(container, item_id)
    found = kb.retrieval.search("Zahlbetrag", 3)
    assert any("932,40" in (hit.payload.get("text") or "") for hit in found.citations)


def test_a_document_named_after_its_file_keeps_its_name(container: Container) -> None:
    note = IngestRequest(data="Der Grundpreis beträgt 60 Euro im Jahr.".encode(), filename="notiz.md")
    item_id = container.services.knowledge.ingest.ingest(note).item_id

    report = container.services.knowledge.rereader.reread([item_id])

    with container.database.unit_of_work(read_only=True) as uow:
        item = uow.items.get(item_id)
    assert report.unchanged == 1 and item is not None and (item.version, item.title) == (1, "notiz")


def test_a_title_a_person_chose_is_kept(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    item_id = _ingest_with_old_reader(container, monkeypatch, title="Meine Stromrechnung")

    container.services.knowledge.rereader.reread([item_id])

    with container.database.unit_of_work(read_only=True) as uow:
        item = uow.items.get(item_id)
    assert item is not None and (item.version, item.title) == (2, "Meine Stromrechnung")


def test_an_item_whose_file_is_gone_is_reported_and_the_others_are_read(
    container: Container,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gone = _ingest_with_old_reader(container, monkeypatch)
    kept = container.services.knowledge.ingest.ingest(
        IngestRequest(data="# Tarif\n\nDer Grundpreis beträgt 60 Euro.".encode(), filename="tarif.md")
    ).item_id
    container.blobs.delete_prefix(raw_blob_prefix(gone))

    report = container.services.knowledge.rereader.reread()

    assert report.items == 2 and report.unchanged == 1 and report.new_versions == []
    assert [failure["item_id"] for failure in report.failed] == [gone]
    assert "stored file" in report.failed[0]["error"]
    assert kept not in [failure["item_id"] for failure in report.failed]


TARIFF_CSV = "Tarif;Grundpreis;Arbeitspreis\nBasis;12,50 €;32,1 ct\nÖko;13,90 €;34,5 ct\n".encode()


@pytest.mark.parametrize(
    ("filename", "declared"),
    [("tarife.csv", None), ("tarife.tsv", None), ("preisblatt", "text/csv")],
)
def test_a_table_read_from_text_stays_a_table_when_read_again(
    container: Container, filename: str, declared: str | None
) -> None:
    data = TARIFF_CSV.replace(b";", b"\t") if filename.endswith(".tsv") else TARIFF_CSV
    request = IngestRequest(data=data, filename=filename, declared_type=declared)
    item_id = container.services.knowledge.ingest.ingest(request).item_id

    report = container.services.knowledge.rereader.reread([item_id])

    assert report.unchanged == 1 and report.new_versions == []
    assert "| Basis | 12,50 € | 32,1 ct |" in _chunk_texts(container, item_id)


def test_a_table_stored_as_txt_before_luna_kept_the_name_stays_a_table(container: Container) -> None:
    """Stored as ``v1.txt``, as every CSV upload was before: its previous reading says it was a table."""
    item_id = container.services.knowledge.ingest.ingest(
        IngestRequest(data=TARIFF_CSV, filename="tarife.csv")
    ).item_id
    (key,) = container.blobs.list(raw_blob_prefix(item_id))
    container.blobs.put(key.replace(".csv", ".txt"), container.blobs.get(key), "text/plain")
    container.blobs.delete(key)

    report = container.services.knowledge.rereader.reread([item_id])

    assert report.unchanged == 1 and report.failed == []
    assert "| Öko | 13,90 € | 34,5 ct |" in _chunk_texts(container, item_id)
