"""``/ask``: a conversation with Luna, token by token, with numbered sources to open.

The conversation lives in the URL (``/ask?gespraech=<id>``): a reload, a bookmark or the list of
earlier conversations brings it back with every answer and its sources. A follow-up question
("Und für Gewerbe?") is answered in the context of the questions before it.
"""

from __future__ import annotations

from typing import Final

from nicegui import ui

from luna.domain.conversations import Conversation
from luna.domain.errors import NotFound, RateLimited
from luna.services.energy.energy_advice import answer_section, wants_energy_advice
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_datetime, de_int
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import empty_state
from luna.web.customer.conversation_thread import ConversationThread

MAX_QUESTION_CHARS = 2000
#: The query parameter that names the conversation shown.
CONVERSATION_PARAM: Final = "gespraech"
_RECENT = 10


@customer_page("/ask")
async def ask(view: CustomerView) -> None:
    state: dict[str, str | None] = {"id": _requested_conversation()}
    with ui.row().classes("w-full items-center justify-between gap-2"):
        ui.label("Gespräch mit Luna").classes("luna-card-title").props('role="heading" aria-level="2"')
        ui.button("Neues Gespräch", icon="add_comment", on_click=lambda: ui.navigate.to("/ask")).props(
            "outline no-caps"
        ).mark("new-conversation")
    history = ui.column().classes("w-full")
    area = ui.column().classes("w-full gap-4")

    # One question at a time: Enter pressed thrice, or a suggested question clicked twice, asked (and
    # stored) the same question three times, and the answers' sources piled up apart from them.
    asking = {"now": False}

    async def ask_next(text: str) -> bool:
        if asking["now"]:
            return False
        question.set_value(text)
        return await submit()

    thread = ConversationThread(view.web, view.user_id, area, ask_next)
    await _show_requested(view, thread, area, state)
    await _show_history(view, history, state["id"])
    with ui.card().classes("w-full gap-1"):
        with ui.element("div").classes("luna-ask-row"):
            question = (
                ui.input(
                    "Ihre Frage an Luna",
                    placeholder="z. B. Wie hoch sind die Netzentgelte 2026 pro Kilowattstunde?",
                )
                .props(f'outlined clearable maxlength="{MAX_QUESTION_CHARS}"')
                .mark("question")
            )
            button = ui.button("Fragen", icon="send").props('no-caps size="lg"').mark("ask")
        # The browser cuts a longer text at maxlength without a word: near the limit this says so.
        limit = ui.label().classes("text-sm").props('role="status" aria-live="polite"').mark("question-limit")
        limit.visible = False

        def length_changed() -> None:
            length = len(question.value or "")
            note = length_note(length)
            limit.set_text(note or "")
            limit.visible = note is not None
            full = length >= MAX_QUESTION_CHARS
            limit.classes(replace="text-sm text-negative" if full else "text-sm luna-muted")

        question.on_value_change(length_changed)

    async def submit() -> bool:
        """Whether the question was answered (not while another is, nor an empty one, nor on failure)."""
        text = (question.value or "").strip()
        if asking["now"]:
            return False
        if not text:
            ui.notify("Bitte geben Sie zuerst eine Frage ein.", type="warning", position="top")
            return False
        asking["now"] = True
        button.disable()
        answered = False
        try:
            with failure_shown():
                answered = await _answer(view, thread, area, text, state)
                question.set_value("")
        finally:
            asking["now"] = False
            button.enable()
        return answered

    button.on_click(submit)
    question.on("keydown.enter", submit)


def length_note(length: int, limit: int = MAX_QUESTION_CHARS) -> str | None:
    """What to say about a question of ``length`` characters: nothing until 90 % of ``limit``, then how
    many are left, and at the limit that more is not taken."""
    if length < limit * 0.9:
        return None
    if length < limit:
        return f"Noch {de_int(limit - length)} von {de_int(limit)} Zeichen."
    return f"Höchstlänge erreicht: {de_int(limit)} Zeichen. Weiterer Text wird nicht übernommen."


def _requested_conversation() -> str | None:
    value = ui.context.client.request.query_params.get(CONVERSATION_PARAM)
    return value.strip() or None if value else None


async def _show_requested(
    view: CustomerView, thread: ConversationThread, area: ui.column, state: dict[str, str | None]
) -> None:
    conversation_id = state["id"]
    if conversation_id is not None:
        conversations = view.web.services.conversations
        try:
            found = await in_thread(conversations.get, view.user_id, conversation_id)
        except NotFound:
            state["id"] = None
            ui.notify("Dieses Gespräch gibt es nicht (mehr); Sie beginnen ein neues.", type="warning")
        else:
            thread.show_stored(found.turns)
            return
    with area:
        empty_state(
            "Noch keine Frage gestellt",
            "Luna antwortet aus ihrer Wissensbasis und belegt jede Aussage mit Quellen, die Sie öffnen "
            "können. Nachfragen wie „Und für Gewerbe?“ versteht sie im Zusammenhang des Gesprächs.",
            "forum",
        )


async def _show_history(view: CustomerView, history: ui.column, current: str | None) -> None:
    """Earlier conversations as links (the one shown is not listed)."""
    history.clear()
    recent: list[Conversation] = []
    with failure_shown(history, what="Die früheren Gespräche"):
        recent = await in_thread(view.web.services.conversations.recent, view.user_id, _RECENT + 1)
    earlier = [c for c in recent if c.conversation_id != current][:_RECENT]
    if not earlier:
        return
    with history, ui.expansion("Frühere Gespräche", icon="history").classes("w-full").mark("history"):
        for conversation in earlier:
            with ui.row().classes("items-baseline gap-2"):
                ui.link(conversation.title, f"/ask?{CONVERSATION_PARAM}={conversation.conversation_id}")
                ui.label(de_datetime(conversation.updated_at)).classes("text-xs luna-muted")


async def _answer(
    view: CustomerView,
    thread: ConversationThread,
    area: ui.column,
    question: str,
    state: dict[str, str | None],
) -> bool:
    container = view.web.container
    wait = await in_thread(container.ask_limiter.hit, f"user:{view.user_id}")
    if wait is not None:
        raise RateLimited("too many questions", details={"retry_after_sec": wait})
    if thread.turns == 0:
        area.clear()
    appendix = await in_thread(_energy_appendix, view, question)
    final = await thread.ask(question, state["id"], appendix)
    if final is None:
        return False
    if final.conversation_id is not None and state["id"] != final.conversation_id:
        state["id"] = final.conversation_id
        ui.navigate.history.replace(f"/ask?{CONVERSATION_PARAM}={final.conversation_id}")
    return True


def _energy_appendix(view: CustomerView, question: str) -> str:
    """The customer's own energy advice closes the answer when the question is about their energy."""
    if not wants_energy_advice(question):
        return ""
    limit = view.web.settings.recommend.energy_items
    return answer_section(view.web.services.energy_advice.for_user(view.user_id, limit))
