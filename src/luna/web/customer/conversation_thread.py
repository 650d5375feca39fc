"""A conversation with Luna on the page: question after question, each answer with its sources.

Answers stream in as plain text and, once complete, are shown as Markdown (tables as tables) whose
``[n]`` open source ``n`` of that answer. A stored conversation is shown the same way after a reload.
Only the answer given on this page gets the rating form: a stored one was rated (or not) when given.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from nicegui import ui
from nicegui.events import GenericEventArguments

from luna.domain.conversations import Turn
from luna.domain.events import EventType
from luna.domain.refusals import without_follow_up_paragraph
from luna.domain.storable import without_direction_controls
from luna.services.knowledge.answering import Answer
from luna.services.knowledge.retrieval import Citation
from luna.web.components.errors import failure_shown
from luna.web.components.offload import stream_in_thread
from luna.web.components.widgets import loading
from luna.web.context import WebContext
from luna.web.customer.answer_view import open_cited, rating_form, record_events, source_cards
from luna.web.customer.citation_marks import linked_citations, number_citations

#: A click on an answer's [n] link becomes this event (see ``_MARK_CLICKS``).
SOURCE_EVENT: Final = "luna_source"
#: The name the extractive model answers under (``luna.adapters.models.extractive``; the default of
#: ``llm.model``): its answers are sentences of the sources, not text a language model wrote.
EXTRACTIVE_MODEL: Final = "luna-extractive"
#: Run once the page is connected (a script added as HTML after that would not run).
_MARK_CLICKS: Final = f"""
if (!window.lunaMarkClicks) {{
  window.lunaMarkClicks = true;
  document.addEventListener('click', (event) => {{
    const mark = event.target.closest('a.luna-mark');
    if (!mark) return;
    event.preventDefault();
    emitEvent('{SOURCE_EVENT}', {{turn: Number(mark.dataset.turn), n: Number(mark.dataset.n)}});
  }});
}}
"""


class ConversationThread:
    """The turns shown in ``area``; ``sources[turn]`` are the citations that answer's numbers open."""

    def __init__(
        self, web: WebContext, user_id: str, area: ui.column, ask_next: Callable[[str], Awaitable[bool]]
    ) -> None:
        """``ask_next`` asks a question as the next turn (a clicked follow-up question) and says whether
        it was answered."""
        self._web = web
        self._user_id = user_id
        self._area = area
        self._ask_next = ask_next
        self.turns = 0
        self._sources: dict[int, list[Citation]] = {}
        ui.run_javascript(_MARK_CLICKS)
        ui.on(SOURCE_EVENT, self._open_marked)

    def show_stored(self, turns: Sequence[Turn]) -> None:
        """A stored conversation, as it was answered."""
        for turn in turns:
            citations = [Citation(s.chunk_id, s.score, s.payload) for s in turn.sources]
            card = self._question_and_card(turn.question)
            with card:
                self._final_text(turn.position, turn.answer, citations, turn.follow_ups)
                self._follow_up_buttons(turn.follow_ups)
                _footer(turn.model, turn.unsupported_numbers, cited=bool(citations))
            with self._area:
                source_cards(self._web, self._user_id, self._sources[turn.position], turn.position)
            self.turns = turn.position + 1

    async def ask(self, question: str, conversation_id: str | None, appendix: str) -> Answer | None:
        """Stream Luna's answer to ``question`` as the next turn; None when it failed (shown)."""
        position = self.turns
        card = self._question_and_card(question)
        with card:
            status = loading("Luna sucht in ihrer Wissensbasis …")
            text = ui.label().classes("luna-answer").props('aria-live="polite"').mark("answer")
        conversations = self._web.services.conversations
        raw = ""
        final: Answer | None = None
        with failure_shown(self._area, what="Die Antwort") as attempt:
            events = stream_in_thread(
                lambda: conversations.ask(self._user_id, question, conversation_id, appendix=appendix)
            )
            async for event in events:
                if event.kind == "token":
                    raw += str(event.data)
                    status.visible = False
                    text.set_text(number_citations(raw).text)
                elif event.kind == "done":
                    final = event.data
        if card.is_deleted:  # the reader left while Luna answered: nothing is left to show it in
            return None
        status.delete()
        if attempt.failed or final is None:
            return None
        text.delete()
        with card:
            self._final_text(position, final.answer, final.citations, final.follow_ups)
            self._follow_up_buttons(final.follow_ups)
            _footer(final.model, final.unsupported_numbers, cited=bool(final.citations))
        with self._area:
            source_cards(self._web, self._user_id, self._sources[position], position)
            rating_form(self._web, self._user_id, question, final)
        self.turns = position + 1
        await record_events(self._web, self._user_id, EventType.VIEW, [c.chunk_id for c in final.citations])
        return final

    def _question_and_card(self, question: str) -> ui.card:
        with self._area:
            with ui.row().classes("w-full justify-end"):
                # As stored: a direction override typed into the field showed the question reversed.
                ui.label(without_direction_controls(question)).classes("luna-question").mark("turn-question")
            card = ui.card().classes("w-full gap-3").mark("answer-card")
            with card, ui.row().classes("items-center gap-2 no-wrap"):
                ui.icon("dark_mode", size="sm").classes("text-accent").props('aria-hidden="true"')
                ui.label("Luna").classes("font-medium")
        return card

    def _final_text(
        self, position: int, answer: str, citations: list[Citation], follow_ups: Sequence[str]
    ) -> None:
        """The answer as Markdown with linked numbers (the offered questions are buttons instead of a
        list); its sources in the numbers' order."""
        linked = linked_citations(without_follow_up_paragraph(answer, follow_ups), position)
        by_id = {c.chunk_id: c for c in citations}
        ordered = [by_id[chunk_id] for chunk_id in linked.chunk_ids if chunk_id in by_id]
        self._sources[position] = ordered + [c for c in citations if c.chunk_id not in linked.chunk_ids]
        ui.markdown(linked.text).classes("luna-answer-md").mark("answer")

    def _follow_up_buttons(self, questions: Sequence[str]) -> None:
        """The offered questions, one click to ask (they were checked to have an answer).

        A button asks once: it is disabled from the click on and stays so once answered, so a double
        click (or a second click while the answer streams) never asks the same question twice. It is
        enabled again when its question was not answered (another one was, or it failed)."""
        if not questions:
            return
        with ui.row().classes("gap-2").props('role="group" aria-label="Vorgeschlagene Fragen"'):
            for question in questions:
                button = ui.button(question, icon="help_outline").props("outline no-caps")
                button.classes("text-left").mark("follow-up").on_click(self._asks_once(button, question))

    def _asks_once(self, button: ui.button, question: str) -> Callable[[], Awaitable[None]]:
        async def ask() -> None:
            if not button.enabled:
                return
            button.disable()
            if not await self._ask_next(question):
                button.enable()

        return ask

    async def _open_marked(self, event: GenericEventArguments) -> None:
        args: Any = event.args
        citations = self._sources.get(int(args.get("turn", -1)), [])
        number = int(args.get("n", 0))
        if 1 <= number <= len(citations):
            await open_cited(self._web, self._user_id, number, citations[number - 1])


def answer_origin(model: str, *, cited: bool) -> str | None:
    """How the answer came about, in words a customer understands (the model's name means nothing to
    them); None for an answer that cites nothing, which says so itself."""
    if not cited:
        return None
    if model.startswith(EXTRACTIVE_MODEL):
        return "Diese Antwort besteht aus Sätzen der zitierten Dokumente."
    return "Ein Sprachmodell hat diese Antwort aus den zitierten Dokumenten formuliert."


def _footer(model: str, unsupported_numbers: Sequence[str], *, cited: bool) -> None:
    if unsupported_numbers:
        ui.label(
            "Diese Zahlen stehen in keiner zitierten Quelle; prüfen Sie sie bitte: "
            + ", ".join(unsupported_numbers)
        ).classes("text-sm text-warning").props('role="note"')
    origin = answer_origin(model, cited=cited)
    if origin is not None:
        ui.label(origin).classes("text-xs luna-muted").mark("answer-origin")
