"""What the dashboards say where the reviewers found technical, English or impossible wording."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from luna.adapters.extract.local import LocalExtractor
from luna.domain.errors import LunaError, UnsupportedType
from luna.domain.flywheel.kpi_values import ALL, Kpi, KpiValue, Window
from luna.domain.media_types import detect_media_type
from luna.web.admin.dataset_wording import EMPTY_QUALITY, quality_line, quality_score, schedule_text
from luna.web.admin.pages_admin_activity_parts import actor_label
from luna.web.admin.pages_admin_jobs_parts import JOB_NAMES, job_label
from luna.web.admin.pages_admin_upload import refusal
from luna.web.components.kpi_chart import kpi_chart, kpi_text
from luna.web.credentials import LoginRefused, normalized_user_id
from luna.web.customer.conversation_thread import answer_origin
from luna.web.customer.pages_customer_ask import MAX_QUESTION_CHARS, length_note
from luna.workers.registry import JOB_MODULES, load_jobs

FULL = {"score": 100.0, "confidence": 0.0, "completeness": 1.0, "validity": 1.0, "uniqueness": 1.0}


def test_an_empty_dataset_shows_no_quality_instead_of_full_marks() -> None:
    assert quality_line(FULL, 0) == EMPTY_QUALITY
    assert quality_score(FULL, 0) == "leer"
    assert quality_line(FULL, 12).startswith("Qualität 100,0 von 100 · Konfidenz 0 %")
    assert quality_score({"score": 97.5}, 3) == "Qualität 97,5"


def test_a_schedule_is_german_on_the_berlin_clock_of_the_day() -> None:
    assert schedule_text("daily 02:30", date(2026, 1, 15)) == "täglich um 03:30 Uhr"
    assert schedule_text("daily 02:30", date(2026, 7, 15)) == "täglich um 04:30 Uhr"
    assert schedule_text("hourly") == "stündlich"
    assert schedule_text(None) == "nur auf Anforderung"


def test_every_registered_job_has_a_german_name_and_a_pipeline_run_names_its_pipeline() -> None:
    registered = {name for name, job in load_jobs().items() if job.__module__ in JOB_MODULES}
    assert registered - set(JOB_NAMES) == set()
    assert job_label("datasets.run", {"pipeline": "feedback-sft"}) == "Datenpipeline „feedback-sft“"
    assert job_label("datasets.run", {}) == "Datenpipeline"


def test_a_job_as_actor_is_named_shortly_and_the_schedule_not_only_as_nightly() -> None:
    assert actor_label("job:407babbd-a5dd-4a05-aedd-d44e0ec1410d") == "Job 407babbd"
    assert actor_label("schedule") == "Zeitplan"


def test_the_retrieval_confidence_is_a_score_not_a_percentage() -> None:
    assert kpi_text(Kpi.RETRIEVAL_CONFIDENCE, 1.547) == "1,55"
    assert kpi_text(Kpi.REFUSAL_RATE, 0.143) == "14,3 %"
    assert kpi_text(Kpi.LATENCY_P95_MS, 2500.0) == "2.500 ms"
    value = KpiValue(Kpi.RETRIEVAL_CONFIDENCE, Window.DAY, datetime(2026, 11, 23, tzinfo=UTC), ALL, 1.5, 6)
    chart = kpi_chart(Kpi.RETRIEVAL_CONFIDENCE, [value], ())
    assert chart["series"][0]["data"] == [1.5] and "max" not in chart["yAxis"]


def test_a_question_near_its_length_limit_says_how_much_is_left_and_at_the_limit_that_more_is_cut() -> None:
    assert length_note(MAX_QUESTION_CHARS // 2) is None
    assert length_note(MAX_QUESTION_CHARS - 50) == "Noch 50 von 2.000 Zeichen."
    assert length_note(MAX_QUESTION_CHARS) == (
        "Höchstlänge erreicht: 2.000 Zeichen. Weiterer Text wird nicht übernommen."
    )


def test_customers_read_how_an_answer_came_about_not_the_models_name() -> None:
    assert (
        answer_origin("luna-extractive", cited=True)
        == "Diese Antwort besteht aus Sätzen der zitierten Dokumente."
    )
    assert answer_origin("qwen2.5-7b-instruct", cited=True) == (
        "Ein Sprachmodell hat diese Antwort aus den zitierten Dokumenten formuliert."
    )
    assert answer_origin("luna-extractive", cited=False) is None


@pytest.mark.parametrize("empty", ["", "   "])
def test_an_empty_user_id_asks_for_one_like_the_other_logins(empty: str) -> None:
    with pytest.raises(LoginRefused, match="Bitte geben Sie Ihre Benutzer-ID ein"):
        normalized_user_id(empty)


def test_the_nil_uuid_is_no_user_id_for_the_dashboard_login() -> None:
    with pytest.raises(LoginRefused, match="keine gültige Benutzer-ID"):
        normalized_user_id("00000000-0000-0000-0000-000000000000")


def _refused(data: bytes, filename: str, declared: str | None = None) -> UnsupportedType:
    with pytest.raises(UnsupportedType) as refused:
        detect_media_type(data, filename, declared)
    return refused.value


def test_text_named_like_a_binary_format_is_refused_for_its_name_not_as_an_unsupported_type() -> None:
    note = _refused(b"# Notiz\n\nStrom am Mittag laden.\n", "bild.png")
    reason, existing = refusal(note, 50, name="bild.png")
    assert reason == (
        "„bild.png“ heißt wie eine PNG-Datei, enthält aber Text (Markdown). Soll dieser Text eingelesen "
        "werden, benennen Sie die Datei in .txt, .md oder .csv um und laden Sie sie erneut hoch."
    )
    assert existing is None
    # a browser's declared type: tests/unit/test_media_types.py; a type without a German word is named as is
    office = _refused(b"Stromtarif Januar 2026", "tarif", "application/vnd.ms-powerpoint")
    assert refusal(office, 50, name="tarif")[0].startswith(
        "„tarif“ wurde als application/vnd.ms-powerpoint hochgeladen, enthält aber reinen Text."
    )


def test_a_web_page_served_as_a_pdf_is_named_as_such_and_the_address_is_to_be_checked() -> None:
    page = _refused(b"<html><body><p>Bitte anmelden</p></body></html>", "preisblatt", "application/pdf")
    assert refusal(page, 50, url=True)[0] == (
        "Die Datei unter dieser Adresse wird vom Server als PDF (application/pdf) ausgegeben, enthält aber "
        "eine Webseite (HTML), oft eine Fehler- oder Anmeldeseite. Bitte die Adresse prüfen."
    )
    named = _refused(b"<html><body><p>Nicht gefunden</p></body></html>", "preise.pdf")
    assert refusal(named, 50, url=True)[0].startswith(
        "Die Datei unter dieser Adresse heißt wie eine PDF-Datei"
    )


def test_a_file_of_a_type_luna_does_not_read_is_still_refused_as_unsupported() -> None:
    image = _refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "bild.png")
    assert refusal(image, 50, name="bild.png")[0].startswith("Dieser Dateityp wird nicht unterstützt.")


@pytest.mark.parametrize(
    ("data", "name", "said"),
    [
        (b"", "leer.md", "Die Datei ist leer oder enthält keinen Text."),
        (
            b"%PDF-1.4\n" + bytes(range(256)) * 12,
            "kaputt.pdf",
            "Die Datei ist beschädigt und lässt sich nicht lesen.",
        ),
        (b"PK\x03\x04" + b"\x00" * 40, "tarif.docx", "Die Datei ist beschädigt und lässt sich nicht lesen."),
        (
            bytes(range(256)) * 12,
            "kaputt.pdf",
            "„kaputt.pdf“ heißt wie eine PDF-Datei, ist aber keine: beschädigt oder falsch benannt.",
        ),
    ],
)
def test_an_unreadable_upload_is_refused_for_what_is_wrong_with_it_not_as_a_scan(
    data: bytes, name: str, said: str
) -> None:
    """An empty Markdown file and a damaged PDF were both told "Scans ohne Texterkennung …", and random bytes
    named .pdf that PDF was not supported."""
    with pytest.raises(LunaError) as refused:
        LocalExtractor().extract(data, "application/octet-stream", name)

    assert refusal(refused.value, 50, name=name) == (said, None)
