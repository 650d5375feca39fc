"""``/account``: the customer's own say over their data — consent to learning, linked meters, erasure.

The API offered all three (``/users/me/consent``, ``/users/me/meters/{id}``, ``/users/me/data``), the
dashboard none: a customer who linked a wrong meter or wanted to withdraw consent had to write HTTP
requests. Each action is the service call the API makes, audited with the customer as actor; the two
that cannot be undone ask first.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from nicegui import ui

from luna.domain.energy import MeterInfo
from luna.domain.errors import NotFound
from luna.domain.german_numbers import de_count
from luna.services.learning.privacy import ConsentState, UserRecord
from luna.web.components.dialogs import confirmed
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_datetime
from luna.web.components.layout import CustomerView, customer_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state
from luna.web.customer.meter_choice import meter_label, meters_for

ROUTE = "/account"
Reload = Callable[[], Awaitable[None]]


@customer_page(ROUTE)
async def account(view: CustomerView) -> None:
    area = ui.column().classes("w-full gap-4")

    async def load() -> None:
        with failure_shown(area, what="Ihre Kontodaten"):
            record = await in_thread(_record, view)
            meters = await in_thread(meters_for, view.web, view.user_id)
            area.clear()
            with area:
                _consent_card(view, record)
                _meters_card(view, meters, load)
                _stored_card(view, record, load)

    await load()


def _record(view: CustomerView) -> UserRecord | None:
    """What is stored about the customer; None while nothing is (a new ID that has not asked yet)."""
    try:
        return view.web.services.privacy.record(view.user_id)
    except NotFound:
        return None


def _consent_card(view: CustomerView, record: UserRecord | None) -> None:
    with ui.card().classes("w-full").mark("account-consent"):
        card_title("Lernen aus Ihren Bewertungen", "school")
        ui.label(
            "Mit Ihrer Einwilligung lernt Luna aus Ihren Bewertungen und Klicks, welche Quellen und "
            "Empfehlungen weiterhelfen. Ohne sie funktioniert Luna für Sie genauso; Ihre Angaben fließen "
            "dann nur nicht in das Lernen ein."
        ).classes("text-sm")
        consent = None if record is None else record.consent
        learning = view.web.settings.learning.consent_default if consent is None else consent.learning
        status = ui.label(_consent_status(consent)).classes("text-xs luna-muted").mark("consent-status")

        async def changed() -> None:
            wanted = bool(toggle.value)
            with failure_shown(what="Ihre Einwilligung"):
                state = await in_thread(view.web.services.privacy.set_consent, view.user_id, wanted)
                status.set_text(_consent_status(state))
                ui.notify("Einwilligung erteilt." if wanted else "Einwilligung widerrufen.", type="positive")

        toggle = ui.switch("Luna darf aus meinen Bewertungen und Klicks lernen", value=learning)
        toggle.mark("consent-switch").on_value_change(changed)


def _consent_status(consent: ConsentState | None) -> str:
    if consent is None or not consent.decided or consent.updated_at is None:
        return "Sie haben noch nicht entschieden; es gilt die Voreinstellung."
    return f"Zuletzt geändert am {de_datetime(consent.updated_at)} Uhr."


def _meters_card(view: CustomerView, meters: list[MeterInfo], reload: Reload) -> None:
    with ui.card().classes("w-full").mark("account-meters"):
        card_title("Ihre Zähler", "electric_meter")
        if not meters:
            empty_state(
                "Noch kein Zähler verknüpft",
                "In der Ansicht „Smart-Meter“ verknüpfen Sie einen Zähler mit Zählernummer und "
                "Freischaltcode von Ihrer Stromrechnung.",
                "electric_meter",
            )
            return
        for meter in meters:
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(meter_label(meter)).classes("grow")
                ui.button(
                    "Verknüpfung lösen", icon="link_off", on_click=_unlinking(view, meter.meter_id, reload)
                ).props("flat no-caps").mark(f"unlink-{meter.meter_id}")


def _unlinking(view: CustomerView, meter_id: str, reload: Reload) -> Callable[[], Awaitable[None]]:
    async def unlink() -> None:
        asked = await confirmed(
            f"Zähler {meter_id} lösen?",
            "Seine Messwerte erscheinen dann nicht mehr in Ihren Ansichten. Verknüpfen können Sie ihn "
            "jederzeit wieder, mit dem Freischaltcode von Ihrer Stromrechnung.",
            "Verknüpfung lösen",
            icon="link_off",
        )
        if not asked:
            return
        with failure_shown(what="Das Lösen des Zählers"):
            await in_thread(
                view.web.services.meter_links.unlink, view.user_id, meter_id, f"user:{view.user_id}"
            )
            ui.notify(f"Zähler {meter_id} ist nicht mehr mit Ihrem Konto verknüpft.", type="positive")
            await reload()

    return unlink


def _stored_card(view: CustomerView, record: UserRecord | None, reload: Reload) -> None:
    with ui.card().classes("w-full").mark("account-data"):
        card_title("Was Luna über Sie speichert", "folder_shared")
        if record is None:
            ui.label("Noch nichts: Sie haben Luna bisher weder gefragt noch bewertet.").classes("text-sm")
            return
        counts = [
            de_count(record.conversations, "Gespräch", "Gespräche"),
            de_count(record.ratings, "Bewertung", "Bewertungen"),
            de_count(record.events, "Klick oder Aufruf", "Klicks und Aufrufe"),
        ]
        ui.label(", ".join(counts) + ".").classes("text-sm").mark("account-counts")
        ui.label(
            "Löschen entfernt all das und Ihre Einwilligungen; Ihre Benutzer-ID und verknüpften Zähler "
            "bleiben, und Luna antwortet Ihnen weiter."
        ).classes("text-sm luna-muted")
        with ui.row().classes("gap-2"):
            ui.button("Meine Daten herunterladen", icon="download", on_click=_exporting(view)).props(
                "no-caps outline"
            ).mark("export-data")
            ui.button(
                "Alle meine Daten löschen", icon="delete_forever", on_click=_erasing(view, reload)
            ).props('no-caps outline color="negative"').mark("erase-data")


def _exporting(view: CustomerView) -> Callable[[], Awaitable[None]]:
    """Everything stored about the customer as one JSON file, as ``GET /users/me/export`` gives it."""

    async def export() -> None:
        with failure_shown(what="Das Zusammenstellen Ihrer Daten"):
            exported = await in_thread(view.web.services.privacy.export, view.user_id)
            data = json.dumps(exported, ensure_ascii=False, indent=2).encode("utf-8")
            ui.download(data, "luna-meine-daten.json", "application/json")

    return export


def _erasing(view: CustomerView, reload: Reload) -> Callable[[], Awaitable[None]]:
    async def erase() -> None:
        asked = await confirmed(
            "Alle Ihre Daten löschen?",
            "Ihre Gespräche, Bewertungen, Klicks und Einwilligungen werden endgültig gelöscht. Das lässt "
            "sich nicht rückgängig machen.",
            "Endgültig löschen",
            icon="delete_forever",
        )
        if not asked:
            return
        with failure_shown(what="Das Löschen Ihrer Daten"):
            erased = await in_thread(
                view.web.services.privacy.erase, view.user_id, actor=f"user:{view.user_id}"
            )
            gone = erased.conversations + erased.ratings + erased.events + erased.consent_records
            ui.notify(f"Gelöscht: {de_count(gone, 'Eintrag', 'Einträge')}.", type="positive")
            await reload()

    return erase
