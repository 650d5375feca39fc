"""„Zähler verknüpfen“: a customer links a meter with the Zählernummer and the Freischaltcode from
their bill, without waiting for the operator.

The dialog claims the meter itself (:meth:`MeterLinkService.claim
<luna.services.energy.user_meters.MeterLinkService.claim>`) and stays open with a German sentence
when that fails, so a typo is corrected in place; it answers the linked meter's ID. A wrong code and
an unknown meter read alike ("Zählernummer oder Freischaltcode stimmen nicht."), as in the API.
"""

from __future__ import annotations

import math
import re
from typing import Final

from nicegui import ui

from luna.domain.energy_validation import METER_ID_PATTERN
from luna.domain.errors import Conflict, LunaError, RateLimited, Unavailable
from luna.domain.meter_claims import ClaimRefused
from luna.web.components.errors import german_message
from luna.web.components.layout import CustomerView
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title

CLAIM_REFUSED: Final = "Zählernummer oder Freischaltcode stimmen nicht."
_METER_ID: Final = re.compile(f"^{METER_ID_PATTERN}$")
#: Longest text the code field takes (the code is 8 characters; dashes and spaces are allowed).
_CODE_MAX: Final = 32


def input_problem(meter_id: str, code: str) -> str | None:
    """What is missing or cannot be a meter number, before anything is sent; None when both may be right."""
    if not meter_id:
        return "Bitte geben Sie die Zählernummer ein."
    if not code:
        return "Bitte geben Sie den Freischaltcode ein."
    if not _METER_ID.match(meter_id):
        return CLAIM_REFUSED
    return None


def claim_problem(error: LunaError) -> str:
    """Why linking failed, in German."""
    if isinstance(error, ClaimRefused):
        return f"{CLAIM_REFUSED} Bitte prüfen Sie beide Angaben auf Ihrer Rechnung."
    if isinstance(error, RateLimited):
        wait = error.details.get("retry_after_sec")
        seconds = max(1, math.ceil(wait)) if isinstance(wait, int | float) else None
        later = f"in {seconds} s" if seconds else "gleich"
        return f"Zu viele Versuche in kurzer Zeit. Bitte versuchen Sie es {later} noch einmal."
    if isinstance(error, Conflict):
        return "Ihrem Konto sind bereits so viele Zähler zugeordnet, wie möglich ist."
    if isinstance(error, Unavailable):
        return (
            "Das Verknüpfen mit Freischaltcode ist gerade nicht möglich. Bitte wenden Sie sich an Ihren "
            "Energieversorger."
        )
    return german_message(error)


class MeterClaimDialog:
    """Built once per page; :meth:`ask` opens it."""

    def __init__(self, view: CustomerView) -> None:
        self._view = view
        with ui.dialog() as self._dialog, ui.card().classes("w-[24rem] max-w-full gap-3"):
            self._dialog.props('aria-label="Zähler verknüpfen"')
            card_title("Zähler verknüpfen", "add_link")
            ui.label(
                "Zählernummer und Freischaltcode stehen auf Ihrer Stromrechnung oder im Schreiben Ihres "
                "Energieversorgers. Groß- und Kleinschreibung und der Bindestrich sind egal."
            ).classes("text-sm luna-muted")
            self._meter = ui.input("Zählernummer").props('outlined autocomplete="off" spellcheck="false"')
            self._meter.classes("w-full").mark("claim-meter")
            self._code = ui.input("Freischaltcode", placeholder="ABCD-EFGH").classes("w-full")
            self._code.props('outlined autocomplete="off" spellcheck="false" autocapitalize="characters"')
            self._code.props(f"maxlength={_CODE_MAX}").mark("claim-code")
            self._code.on("keydown.enter", self._claim)
            self._problem = ui.label().classes("text-sm text-negative").props('role="alert"')
            self._problem.mark("claim-problem")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button("Abbrechen", on_click=lambda: self._dialog.submit(None)).props("flat no-caps")
                self._send = ui.button("Verknüpfen", icon="link", on_click=self._claim).props("no-caps")

    async def ask(self) -> str | None:
        """The meter the customer linked; None when they close the dialog without linking one."""
        self._meter.value, self._code.value = "", ""
        self._problem.set_text("")
        linked = await self._dialog
        return linked if isinstance(linked, str) else None

    async def _claim(self) -> None:
        meter_id, code = (self._meter.value or "").strip(), (self._code.value or "").strip()
        problem = input_problem(meter_id, code)
        if problem is not None:
            self._problem.set_text(problem)
            return
        self._send.disable()
        try:
            await in_thread(self._view.web.services.meter_links.claim, self._view.user_id, meter_id, code)
        except LunaError as error:
            self._problem.set_text(claim_problem(error))
            return
        finally:
            self._send.enable()
        self._dialog.submit(meter_id)
