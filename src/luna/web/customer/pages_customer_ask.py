"""``/ask``: Luna answers a question in German, token by token, with numbered sources to open."""

from __future__ import annotations

from nicegui import ui

from luna.domain.errors import RateLimited
from luna.domain.events import EventType
from luna.services.energy.energy_advice import answer_section, wants_energy_advice
from luna.services.knowledge.answering import Answer
from luna.web.components.errors import failure_shown
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread, stream_in_thread
from luna.web.components.widgets import empty_state, loading
from luna.web.customer.answer_view import ordered_citations, rating_form, record_events, source_cards
from luna.web.customer.citation_marks import number_citations

MAX_QUESTION_CHARS = 2000


@customer_page("/ask")
async def ask(view: CustomerView) -> None:
    with ui.card().classes("w-full"), ui.row().classes("w-full items-start gap-3 no-wrap"):
        question = (
            ui.input(
                "Ihre Frage an Luna",
                placeholder="z. B. Wie kann ich meinen Stromverbrauch senken?",
            )
            .props(f'outlined clearable maxlength="{MAX_QUESTION_CHARS}"')
            .classes("grow")
            .mark("question")
        )
        button = ui.button("Fragen", icon="send").props('no-caps size="lg"').mark("ask")
    area = ui.column().classes("w-full gap-4")
    with area:
        empty_state(
            "Noch keine Frage gestellt",
            "Luna antwortet aus ihrer Wissensbasis und belegt jede Aussage mit Quellen, "
            "die Sie öffnen können.",
            "forum",
        )

    async def submit() -> None:
        text = (question.value or "").strip()
        if not text:
            ui.notify("Bitte geben Sie zuerst eine Frage ein.", type="warning", position="top")
            return
        button.disable()
        with failure_shown():
            await _answer(view, text, area)
        button.enable()

    button.on_click(submit)
    question.on("keydown.enter", submit)


async def _answer(view: CustomerView, question: str, area: ui.column) -> None:
    container = view.web.container
    wait = await in_thread(container.ask_limiter.hit, f"user:{view.user_id}")
    if wait is not None:
        raise RateLimited("too many questions", details={"retry_after_sec": wait})
    area.clear()
    with area, ui.card().classes("w-full gap-3").mark("answer-card") as card:
        with ui.row().classes("items-center gap-2 no-wrap"):
            ui.icon("dark_mode", size="sm").classes("text-accent").props('aria-hidden="true"')
            ui.label(f"Luna zu „{question}“").classes("font-medium")
        status = loading("Luna sucht in ihrer Wissensbasis …")
        text = ui.label().classes("luna-answer").props('aria-live="polite"').mark("answer")
    appendix = await in_thread(_energy_appendix, view, question)
    answers = view.web.services.knowledge.answers
    raw = ""
    final: Answer | None = None
    with failure_shown(area, what="Die Antwort") as attempt:
        async for event in stream_in_thread(lambda: answers.stream(question, appendix=appendix)):
            if event.kind == "token":
                raw += str(event.data)
                status.visible = False
                text.set_text(number_citations(raw).text)
            elif event.kind == "done":
                final = event.data
    if attempt.failed:
        return
    status.delete()
    if final is None:
        return
    shown, citations = ordered_citations(final)
    text.set_text(shown)
    with card:
        _answer_footer(final)
    with area:
        source_cards(view.web, view.user_id, citations)
        rating_form(view.web, view.user_id, question, final)
    await record_events(view.web, view.user_id, EventType.VIEW, [c.chunk_id for c in citations])


def _answer_footer(answer: Answer) -> None:
    if answer.unsupported_numbers:
        ui.label(
            "Diese Zahlen stehen in keiner zitierten Quelle; prüfen Sie sie bitte: "
            + ", ".join(answer.unsupported_numbers)
        ).classes("text-sm text-warning").props('role="note"')
    ui.label(f"Beantwortet von {answer.model}.").classes("text-xs luna-muted")


def _energy_appendix(view: CustomerView, question: str) -> str:
    """The customer's own energy advice closes the answer when the question is about their energy."""
    if not wants_energy_advice(question):
        return ""
    limit = view.web.settings.recommend.energy_items
    return answer_section(view.web.services.energy_advice.for_user(view.user_id, limit))
