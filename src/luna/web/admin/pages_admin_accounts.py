"""``/admin/accounts``: service accounts for n8n, Grafana and other machines that talk to Luna.

A key is shown once, right after it is made (only its hash is stored), so the dialog says so and
offers to copy it; the list shows the key's first characters to tell keys apart, when each was last
used, and revoked accounts stay listed (the audit log names them).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from nicegui import ui

from luna.domain.flywheel.accounts import NAME_PATTERN, Scope, ServiceAccount
from luna.services.flywheel.accounts import AccountService, CreatedAccount
from luna.web.components.clicks import one_at_a_time
from luna.web.components.dialogs import confirmed
from luna.web.components.errors import failure_shown
from luna.web.components.formats import de_datetime
from luna.web.components.layout import AdminView, admin_page
from luna.web.components.offload import in_thread
from luna.web.components.widgets import card_title, empty_state

#: What each scope allows, as the form explains it.
SCOPE_TEXT: Final = {
    Scope.SESSIONS_WRITE: "Sitzungen an den Webhook senden",
    Scope.SESSIONS_READ_RAW: "Gespeicherte Sitzungstexte lesen (jeder Zugriff wird protokolliert)",
    Scope.KPI_READ: "Kennzahlen und Sitzungszahlen lesen",
    Scope.DATASETS_READ: "Datensätze auflisten und ihre Versionen abrufen",
}
_ACTOR: Final = "admin-dashboard"
_Revoke = Callable[[ServiceAccount], Awaitable[None]]


@admin_page("/admin/accounts")
async def accounts(view: AdminView) -> None:
    service = view.web.services.accounts
    with ui.card().classes("w-full"):
        card_title("Neues Dienstkonto", "key")
        name = (
            ui.input(
                "Name (z. B. n8n oder grafana)",
                validation={
                    "2–63 Zeichen: Kleinbuchstaben, Ziffern, Punkt, Unterstrich, Bindestrich": _name_ok
                },
            )
            .props("outlined")
            .classes("w-full max-w-md")
        )
        chosen = {scope: ui.checkbox(f"{scope.value}: {text}") for scope, text in SCOPE_TEXT.items()}
        create = ui.button("Dienstkonto anlegen", icon="add").props("no-caps").mark("account-create")
    with ui.card().classes("w-full"):
        card_title("Dienstkonten", "badge")
        listing = ui.column().classes("w-full gap-2").mark("account-list")

    async def refresh() -> None:
        with failure_shown(listing, what="Die Liste der Dienstkonten") as attempt:
            found = await in_thread(service.list)
        if not attempt.failed:
            _list(listing, found, revoke)

    @one_at_a_time
    async def make() -> None:
        scopes = [scope.value for scope, box in chosen.items() if box.value]
        problem = _name_problem((name.value or "").strip()) or (
            None if scopes else "Wählen Sie mindestens eine Berechtigung."
        )
        if problem is not None:
            ui.notify(problem, type="warning")
            return
        if (name.value or "").strip() in {account.name for account in await in_thread(service.list)}:
            ui.notify(
                f"Ein Dienstkonto „{name.value.strip()}“ gibt es bereits; wählen Sie einen anderen Namen.",
                type="warning",
            )
            return
        with failure_shown(what="Das Anlegen"):
            created = await in_thread(service.create, (name.value or "").strip(), scopes, created_by=_ACTOR)
            name.value = ""
            for box in chosen.values():
                box.value = False
            await _show_key(created)
        await refresh()

    async def revoke(account: ServiceAccount) -> None:
        if not await confirmed(
            f"Dienstkonto „{account.name}“ sperren?",
            "Sein Schlüssel wird sofort ungültig; das lässt sich nicht rückgängig machen.",
            "Sperren",
        ):
            return
        with failure_shown(what="Das Sperren"):
            await in_thread(_revoke, service, account.account_id)
            ui.notify(f"Dienstkonto „{account.name}“ gesperrt.")
        await refresh()

    create.on_click(make)
    name.on("keydown.enter", make)
    await refresh()


def _name_ok(value: str | None) -> bool:
    return not value or bool(NAME_PATTERN.match(value.strip()))


def _name_problem(name: str) -> str | None:
    """Why the name is refused, in the words of the field's own rule (the service said only "invalid")."""
    if not name:
        return "Bitte geben Sie einen Namen ein (z. B. n8n oder grafana)."
    if not NAME_PATTERN.match(name):
        return "Der Name hat 2–63 Zeichen: Kleinbuchstaben, Ziffern, Punkt, Unterstrich, Bindestrich."
    return None


def _revoke(service: AccountService, account_id: str) -> None:
    service.revoke(account_id, revoked_by=_ACTOR)


async def _show_key(created: CreatedAccount) -> None:
    with ui.dialog() as dialog, ui.card().classes("max-w-xl gap-3").mark("account-key"):
        ui.label(f"Schlüssel für „{created.account.name}“").classes("text-lg font-semibold").props(
            'role="heading" aria-level="2"'
        )
        ui.label(
            "Kopieren Sie den Schlüssel jetzt: Luna speichert nur seinen Hashwert und zeigt ihn nie wieder."
        )
        ui.code(created.key, language="text").classes("w-full")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(
                "Kopieren", icon="content_copy", on_click=lambda: ui.clipboard.write(created.key)
            ).props("flat no-caps")
            ui.button("Schließen", on_click=dialog.close).props("no-caps")
    dialog.open()


def _list(area: ui.column, found: list[ServiceAccount], revoke: _Revoke) -> None:
    area.clear()
    with area:
        if not found:
            empty_state(
                "Noch keine Dienstkonten",
                "Legen Sie oben eines an, z. B. für den n8n-Webhook oder Grafana.",
                "badge",
            )
            return
        for account in found:
            _row(account, revoke)


def _row(account: ServiceAccount, revoke: _Revoke) -> None:
    with ui.card().classes("w-full py-2").props("flat bordered").mark("account-row"):
        with ui.row().classes("w-full items-center gap-2"):
            ui.label(account.name).classes("font-semibold").props('role="heading" aria-level="3"')
            ui.badge(
                "aktiv" if account.active else "gesperrt", color="positive" if account.active else "grey-8"
            )
            ui.space()
            if account.active:
                ui.button("Sperren", icon="block", on_click=lambda _, a=account: revoke(a)).props(
                    f'flat dense no-caps color="negative" aria-label="Sperren: {account.name}"'
                )
        used = de_datetime(account.last_used_at) if account.last_used_at else "noch nie"
        facts = [
            ", ".join(sorted(scope.value for scope in account.scopes)),
            f"Schlüssel {account.key_hint}",
            f"angelegt {de_datetime(account.created_at)} von {account.created_by}",
            f"zuletzt benutzt {used}",
        ]
        if account.revoked_at:
            facts.append(f"gesperrt {de_datetime(account.revoked_at)}")
        ui.label(" · ".join(facts)).classes("text-sm luna-muted")
