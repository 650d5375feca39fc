"""The help card at the top of every view: what the view is for and how to read it, in German.

The text comes from the help service (written by Luna from the knowledge base and cached, or the
route's written fallback). It is loaded after the page is shown, so a help text that is being
written never delays the view; until it arrives the card holds the route's purpose sentence.
"""

from __future__ import annotations

import structlog
from nicegui import ui

from luna.domain.answers import without_citations
from luna.domain.help import HELP_ROUTES, HelpText
from luna.web.components.navigation import View
from luna.web.components.offload import in_thread
from luna.web.context import web_context

log = structlog.stdlib.get_logger("luna.web")


def help_card(view: View) -> None:
    route = HELP_ROUTES.get(view.route)
    if route is None:
        return
    with (
        ui.expansion("Hilfe zu dieser Ansicht", icon="help_outline", value=False)
        .classes("w-full bg-white rounded-borders shadow-1")
        .props('header-class="text-primary"')
        .mark("help-card")
    ):
        body = ui.column().classes("gap-2 max-w-4xl")
        with body:
            ui.label(route.purpose)

    async def load() -> None:
        try:
            text = await in_thread(web_context().services.help.context, view.route)
        except Exception:
            # The purpose sentence stays: a missing help text is not worth an error message.
            log.warning("help_not_loaded", route=view.route, exc_info=True)
            return
        body.clear()
        with body:
            _paragraphs(text)

    ui.timer(0, load, once=True)


def _paragraphs(text: HelpText) -> None:
    for paragraph in without_citations(text.text).split("\n\n"):
        if paragraph.strip():
            ui.label(paragraph.strip()).classes("whitespace-pre-line")
    if text.generated:
        sources = len(text.sources)
        ui.label(
            f"Von Luna aus der Wissensbasis zusammengestellt ({sources} Quelle{'n' if sources != 1 else ''})."
        ).classes("text-xs luna-muted")
