"""The "not helpful" ratings of the activity view: which answers did not help, what was asked and
what the customer noted, newest first. Texts are shown as stored, which is redacted (no names,
addresses, numbers of accounts or meters)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from nicegui import ui

from luna.domain.answers import without_citations
from luna.domain.events import RagFeedback
from luna.web.components.formats import de_datetime
from luna.web.components.widgets import empty_state

#: Ratings listed at most (the newest).
SHOWN: Final = 20
_ANSWER_CHARS: Final = 280


def unhelpful_answers(area: ui.column, ratings: Sequence[RagFeedback]) -> None:
    area.clear()
    with area:
        if not ratings:
            empty_state(
                "Keine Antwort als nicht hilfreich bewertet",
                "Bewertet jemand eine Antwort als „Nicht hilfreich“, steht sie hier mit Frage und Anmerkung.",
                "thumb_down_off_alt",
            )
            return
        for rating in ratings:
            with ui.column().classes("w-full gap-1 border-b pb-2").mark("unhelpful-answer"):
                with ui.row().classes("items-baseline gap-2"):
                    ui.label(rating.question).classes("font-medium")
                    ui.label(de_datetime(rating.ts)).classes("text-xs luna-muted")
                if rating.notes:
                    ui.label(f"Anmerkung: {rating.notes}").classes("text-sm text-negative")
                else:
                    ui.label("Ohne Anmerkung").classes("text-xs luna-muted")
                ui.label(_excerpt(rating.answer)).classes("text-sm luna-muted")


def _excerpt(answer: str) -> str:
    text = " ".join(without_citations(answer).split())
    return text if len(text) <= _ANSWER_CHARS else text[:_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
