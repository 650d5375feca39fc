"""One answer of Luna on the page: streamed text, numbered source cards, and the rating form.

Showing the source cards records a ``view`` event per cited chunk, opening one a ``click`` event,
and a rating goes to the feedback service (which redacts it and labels the cited items): that is
what the learning loop learns from. A failure to record an event never disturbs the reader.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from nicegui import ui

from luna.domain.events import EventType
from luna.services.knowledge.answering import Answer
from luna.services.knowledge.retrieval import Citation
from luna.web.components.errors import failure_shown
from luna.web.components.offload import in_thread
from luna.web.context import WebContext
from luna.web.customer.chunk_dialog import open_source
from luna.web.customer.citation_marks import number_citations, source_anchor
from luna.web.customer.excerpts import card_excerpt

log = structlog.stdlib.get_logger("luna.web")

_EXCERPT_CHARS = 240


def ordered_citations(answer: Answer) -> tuple[str, list[Citation]]:
    """The answer's display text and its citations in the order of their numbers."""
    numbered = number_citations(answer.answer)
    by_id = {c.chunk_id: c for c in answer.citations}
    ordered = [by_id[chunk_id] for chunk_id in numbered.chunk_ids if chunk_id in by_id]
    ordered += [c for c in answer.citations if c.chunk_id not in numbered.chunk_ids]
    return numbered.text, ordered


async def record_events(web: WebContext, user_id: str, kind: EventType, chunk_ids: Sequence[str]) -> None:
    """Record one event of ``kind`` per chunk; failures are logged, never shown."""
    if not chunk_ids:
        return
    raws = [{"user_id": user_id, "type": kind.value, "chunk_id": chunk_id} for chunk_id in chunk_ids]
    try:
        await in_thread(web.services.events.record_batch, raws)
    except Exception:
        log.warning("web_event_not_recorded", type=kind.value, exc_info=True)


def source_cards(web: WebContext, user_id: str, citations: Sequence[Citation], turn: int = 0) -> None:
    """Numbered cards of the cited chunks of answer ``turn``; a click (or Enter) opens the source."""
    if not citations:
        return
    ui.label("Quellen").classes("luna-card-title").props('role="heading" aria-level="2"')
    with ui.element("div").classes("w-full grid grid-cols-1 md:grid-cols-2 xl:grid-cols-3 gap-3"):
        for number, citation in enumerate(citations, start=1):
            _card(web, user_id, number, citation, turn)


async def open_cited(web: WebContext, user_id: str, number: int, citation: Citation) -> None:
    """Open a cited source and record the click (what the learning loop counts as interest)."""
    await open_source(web, citation.chunk_id, citation.payload, number)
    await record_events(web, user_id, EventType.CLICK, [citation.chunk_id])


def _card(web: WebContext, user_id: str, number: int, citation: Citation, turn: int) -> None:
    payload = citation.payload
    title = str(payload.get("title") or "Ohne Titel")
    section = payload.get("section")
    excerpt = card_excerpt(str(payload.get("text") or ""), _EXCERPT_CHARS)

    async def opened() -> None:
        await open_cited(web, user_id, number, citation)

    label = f"Quelle {number}: {_attribute(title)} öffnen"
    card = (
        ui.card()
        .classes("luna-citation gap-1 p-3")
        .props(f'tabindex="0" role="button" aria-label="{label}"')
        .mark("citation")
    )
    card.on("click", opened)
    card.on("keydown.enter", opened)
    with card:
        # The target of the answer's [n] link (NiceGUI owns the card's own DOM id).
        ui.html(f'<span id="{source_anchor(turn, number)}"></span>', sanitize=False)
        # min-w-0: a flex row is as wide as its text otherwise, and the ellipsis never cuts a long title.
        with ui.row().classes("items-center gap-2 no-wrap w-full min-w-0"):
            ui.badge(str(number), color="secondary")
            ui.label(title).classes("font-medium ellipsis min-w-0")
        if section:
            ui.label(str(section)).classes("text-xs luna-muted ellipsis max-w-full")
        ui.label(excerpt).classes("text-sm")


def _attribute(text: str) -> str:
    return text.replace('"', "'")[:120]


def rating_form(web: WebContext, user_id: str, question: str, answer: Answer) -> None:
    """Useful or not (thumbs up/down) with an optional note; one rating per answer."""
    chosen: dict[str, Any] = {"useful": None}
    with ui.card().classes("w-full gap-2").mark("rating"):
        ui.label("War diese Antwort hilfreich?").classes("font-medium")
        # Named by aria-label, not aria-labelledby: every answer has this form, and an id would repeat.
        with ui.row().classes("gap-2").props('role="group" aria-label="Bewertung der Antwort"'):
            yes = ui.button("Hilfreich", icon="thumb_up").props('outline no-caps aria-pressed="false"')
            no = ui.button("Nicht hilfreich", icon="thumb_down").props('outline no-caps aria-pressed="false"')
        note = (
            ui.textarea("Anmerkung (optional)")
            .props('outlined autogrow counter maxlength="2000"')
            .classes("w-full")
        )
        send = ui.button("Bewertung senden", icon="send").props("no-caps").mark("send-rating")
        send.disable()
        thanks = ui.label().classes("text-positive font-medium").props('role="status"')

        def choose(useful: bool) -> None:
            chosen["useful"] = useful
            for button, pressed in ((yes, useful), (no, not useful)):
                button.props(f'aria-pressed="{str(pressed).lower()}"')
                button.props(remove="outline" if pressed else "unelevated")
                button.props("unelevated" if pressed else "outline")
            send.enable()

        async def submit() -> None:
            if chosen["useful"] is None:
                return
            send.disable()
            with failure_shown() as attempt:
                await in_thread(
                    web.services.feedback.rate,
                    user_id=user_id,
                    question=question,
                    answer=answer.answer,
                    useful=bool(chosen["useful"]),
                    notes=note.value or None,
                    chunks_used=[c.chunk_id for c in answer.citations],
                )
            if attempt.failed:
                send.enable()
                return
            for element in (yes, no, note):
                element.disable()
            send.visible = False
            thanks.set_text("Danke! Ihre Bewertung hilft Luna, bessere Quellen zu finden.")

        yes.on_click(lambda: choose(True))
        no.on_click(lambda: choose(False))
        send.on_click(submit)
