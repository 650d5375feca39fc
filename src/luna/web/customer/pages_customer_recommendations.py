"""``/recommendations``: what Luna suggests reading next, and energy advice with euro figures.

The list comes from the recommender, which logs it as a ``recommend`` event; opening, liking and
disliking an item are sent back as events naming that ``recommendation_id``, which is how the
bandit learns which strategy serves this customer, and a dislike keeps the item away for good.

The list holds chunks, several of one document when the knowledge base is small; the reading list shows
one card per document (:mod:`luna.web.customer.reading_list`), led by its best chunk, which a like or a
dismissal is about, and naming its other sections worth reading, each opened (and counted) on its own.

A card's buttons live inside the card, and a dismissed card is deleted: whatever a handler shows after
its event was recorded (the confirmation, an error) is shown from the page's area, which outlives the
card, since a notification from a deleted card's slot fails ("The parent element this slot belongs to
has been deleted").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from nicegui import ui

from luna.domain.events import EventType
from luna.domain.recommendations import Recommendation, RecommendationKind, Recommendations
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_eur
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state, loading
from luna.web.customer.chunk_dialog import open_source
from luna.web.customer.excerpts import card_excerpt
from luna.web.customer.reading_list import DocumentCard, Section, reading_list

SendEvent = Callable[[EventType], Awaitable[None]]
Opener = Callable[[Recommendation], Callable[[], Awaitable[None]]]


@customer_page("/recommendations")
async def recommendations(view: CustomerView) -> None:
    with ui.row().classes("w-full items-center"):
        ui.label("Vorschläge passend zu Ihren Interessen und Ihrem Verbrauch.").classes("luna-muted")
        ui.space()
        refresh = ui.button("Neu laden", icon="refresh").props("flat no-caps")
    area = ui.column().classes("w-full gap-4")

    async def load() -> None:
        area.clear()
        with area:
            loading("Luna stellt Ihre Empfehlungen zusammen …")
        with failure_shown(area, what="Die Empfehlungen"):
            found = await in_thread(view.web.services.recommender.recommend, view.user_id)
            area.clear()
            with area:
                _show(view, found, area)

    refresh.on_click(load)
    await load()


def _show(view: CustomerView, found: Recommendations, area: ui.column) -> None:
    energy = [item for item in found.items if item.kind is RecommendationKind.ENERGY]
    content = [item for item in found.items if item.kind is RecommendationKind.CONTENT]
    # With two meters, "Verschieben Sie die Waschmaschine" must say which household it is about.
    several = len({str(item.payload.get("meter_id")) for item in energy}) > 1 or (
        len(found.extra.get("meter_ids") or []) > 1
    )
    with ui.card().classes("w-full"):
        card_title(
            "Energie-Empfehlungen für Ihre Zähler" if several else "Energie-Empfehlungen für Ihren Zähler",
            "savings",
        )
        if energy:
            with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 xl:grid-cols-3 gap-3"):
                for item in energy:
                    _energy_card(item, name_meter=several)
        else:
            empty_state(
                "Noch keine Energie-Empfehlungen",
                "Sobald Ihrem Konto ein Zähler mit Messwerten zugeordnet ist, rechnet Luna aus, wo Sie "
                "sparen können, etwa durch Verschieben flexibler Verbraucher in günstige Stunden.",
                "savings",
            )
    with ui.card().classes("w-full"):
        card_title("Lesenswert für Sie", "auto_stories")
        if content:
            with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 xl:grid-cols-3 gap-3"):
                for document in reading_list(content):
                    _content_card(view, document, found.recommendation_id, area)
        else:
            empty_state(
                "Gerade nichts zu lesen",
                "Luna schlägt Ihnen hier Dokumente der Wissensbasis vor. Im Moment gibt es keines, das Sie "
                "nicht schon kennen oder abgelehnt haben, oder die Wissensbasis ist noch leer.",
                "auto_stories",
            )


def _energy_card(item: Recommendation, *, name_meter: bool) -> None:
    payload = item.payload
    saving = payload.get("saving_eur_month")
    with ui.card().classes("gap-2 p-3 border-l-4 border-amber-500").mark("energy-advice"):
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("bolt", size="sm").classes("text-accent").props('aria-hidden="true"')
            ui.label(str(payload.get("title") or "Energie-Empfehlung")).classes("font-medium")
        if name_meter and payload.get("meter_id"):
            ui.label(f"Zähler {payload['meter_id']}").classes("text-xs luna-muted").mark("advice-meter")
        if isinstance(saving, (int, float)) and saving > 0:
            ui.label(f"bis zu {de_eur(float(saving))} pro Monat").classes("luna-figure text-positive")
        ui.label(str(payload.get("text") or "")).classes("text-sm")
        ui.label(item.reason).classes("text-xs luna-muted")


def _content_card(
    view: CustomerView, document: DocumentCard, recommendation_id: str | None, area: ui.column
) -> None:
    lead = document.lead
    payload = lead.payload
    title = str(payload.get("title") or "Ohne Titel")
    excerpt = card_excerpt(str(payload.get("text") or ""))
    meta = {"recommendation_id": recommendation_id} if recommendation_id else {}

    async def send(kind: EventType, item: Recommendation = lead) -> None:
        raw = {"user_id": view.user_id, "type": kind.value, "chunk_id": item.chunk_id, "meta": meta}
        await in_thread(view.web.services.events.record, raw)

    def opener(item: Recommendation) -> Callable[[], Awaitable[None]]:
        async def open_item() -> None:
            await open_source(view.web, item.chunk_id or "", item.payload)
            with area, failure_shown():
                await send(EventType.CLICK, item)

        return open_item

    with ui.card().classes("gap-2 p-3 luna-citation").mark("recommendation") as card:
        with ui.row().classes("items-center gap-2 no-wrap w-full"):
            ui.label(title).classes("font-medium ellipsis grow")
        if payload.get("section"):
            ui.label(str(payload["section"])).classes("text-xs luna-muted ellipsis max-w-full")
        ui.label(excerpt).classes("text-sm whitespace-pre-line luna-excerpt")
        ui.label(lead.reason).classes("text-xs text-secondary font-medium")
        if document.more:
            _more_sections(document.more, opener)
        with ui.row().classes("gap-1"):
            ui.button("Lesen", icon="open_in_new", on_click=opener(lead)).props("flat dense no-caps")
            _opinion_buttons(send, card, area)


def _more_sections(sections: Sequence[Section], opener: Opener) -> None:
    """The document's other sections in the list, one button each: the reader sees at a glance what
    else of it is worth reading, without a second card of the same title."""
    with ui.column().classes("gap-0 w-full").props('role="group" aria-label="Weitere Abschnitte"'):
        ui.label("Auch lesenswert in diesem Dokument:").classes("text-xs luna-muted")
        for section in sections:
            # Icon and label side by side; a long heading wraps under itself, left-aligned, not centred.
            with ui.button(on_click=opener(section.item)).props('flat dense no-caps no-wrap align="left"'):
                ui.icon("subject", size="xs").classes("q-mr-sm")
                ui.label(section.label).classes("text-sm text-left whitespace-normal")


def _opinion_buttons(send: SendEvent, card: ui.card, area: ui.column) -> None:
    """A like is thanked for; a dismissal is recorded once, confirmed, and its card removed.

    Both may still be running when the card is gone (a double click, a like and then a dismiss, or
    "Neu laden"), so they speak from ``area`` and touch the card only while it exists.
    """
    dismissing = False

    async def like() -> None:
        with area, failure_shown() as attempt:
            await send(EventType.LIKE)
        if not attempt.failed:
            with area:
                ui.notify("Danke! Luna merkt sich, was Ihnen gefällt.", type="positive", position="top")

    async def dismiss() -> None:
        nonlocal dismissing
        if dismissing:  # the second click of a double click: one dislike is enough
            return
        dismissing = True
        with area, failure_shown() as attempt:
            await send(EventType.DISLIKE)
        if attempt.failed:
            dismissing = False  # nothing was recorded: the reader may try again
            return
        with area:
            ui.notify("Verstanden: Luna schlägt Ihnen dieses Dokument nicht mehr vor.", position="top")
        if not card.is_deleted:
            card.delete()

    ui.button("Gefällt mir", icon="thumb_up", on_click=like).props("flat dense no-caps")
    ui.button("Nicht interessant", icon="thumb_down", on_click=dismiss).props("flat dense no-caps")
