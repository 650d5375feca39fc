"""Logging in: customers with a token (or, in development, as a chosen user ID), operators with the key."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Final

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from luna.web import session
from luna.web.components.navigation import ADMIN_LOGIN_ROUTE, LOGIN_ROUTE, Area, safe_next
from luna.web.components.offload import in_thread
from luna.web.components.theme import apply_theme
from luna.web.context import web_context
from luna.web.credentials import LoginRefused, login_with_token


@ui.page(LOGIN_ROUTE)
def customer_login(request: Request) -> RedirectResponse | None:
    target = safe_next(request.query_params.get("next"), Area.CUSTOMER)
    if session.current_customer() is not None:
        return RedirectResponse(target, status_code=303)
    auth = web_context().settings.auth
    with _login_card("Anmelden", "Melden Sie sich an, um Ihre Energiedaten und Luna zu nutzen."):
        problem = _problem_label()
        with ui.tabs().classes("w-full").props('align="left" no-caps') as tabs:
            token_tab = ui.tab("token", label="Mit Token")
            dev_tab = ui.tab("dev", label="Entwickler-Zugang") if auth.allow_dev_user else None
        with ui.tab_panels(tabs, value=dev_tab or token_tab).classes("w-full"):
            with ui.tab_panel(token_tab).classes("gap-3 px-0"):
                _token_login(problem, target)
            if dev_tab is not None:
                with ui.tab_panel(dev_tab).classes("gap-3 px-0"):
                    _dev_login(problem, target)
        problem.move(target_index=-1)
    return None


def _token_login(problem: ui.label, target: str) -> None:
    token = ui.textarea("Zugangs-Token (JWT)").props("outlined autogrow").classes("w-full")
    token.props('input-class="font-mono text-xs"')

    async def with_token() -> None:
        try:
            login = login_with_token(token.value or "", web_context().settings.auth)
        except LoginRefused as refusal:
            _show(problem, str(refusal))
            return
        await in_thread(web_context().services.users.ensure, login.user_id)
        session.log_in_with_token(login)
        ui.navigate.to(target)

    ui.button("Anmelden", icon="login", on_click=with_token).props("no-caps").mark("login-token")


def _dev_login(problem: ui.label, target: str) -> None:
    ui.label("Nur in der Entwicklung: Sie handeln als der Benutzer mit dieser ID, ohne Token.").classes(
        "text-sm luna-muted"
    )
    user_id = ui.input("Benutzer-ID (UUID)").props("outlined").classes("w-full font-mono").mark("dev-user-id")

    async def as_user(value: str) -> None:
        try:
            chosen = session.log_in_dev_user(value)
        except LoginRefused as refusal:
            _show(problem, str(refusal))
            return
        await in_thread(web_context().services.users.ensure, chosen)
        ui.navigate.to(target)

    with ui.row().classes("gap-2"):
        ui.button("Anmelden", icon="login", on_click=lambda: as_user(user_id.value or "")).props(
            "no-caps"
        ).mark("login-dev")
        ui.button(
            "Neue Benutzer-ID", icon="person_add", on_click=lambda: user_id.set_value(str(uuid.uuid4()))
        ).props("flat no-caps").mark("new-dev-user")
    user_id.on("keydown.enter", lambda: as_user(user_id.value or ""))
    recent = session.recent_dev_users()
    if recent:
        ui.label("Zuletzt verwendet").classes("text-sm luna-muted")
        with ui.row().classes("gap-1"):
            for known in recent:
                ui.button(known, on_click=_bound(as_user, known)).props(
                    'outline dense no-caps size="sm"'
                ).classes("font-mono")


def _bound(action: Callable[[str], object], value: str) -> Callable[[], object]:
    return lambda: action(value)


#: Shown when an open admin page found its login ended (logged out elsewhere, or expired).
ENDED: Final = (
    "Ihre Anmeldung ist abgelaufen oder wurde in einem anderen Fenster beendet. Bitte melden Sie sich neu an."
)


@ui.page(ADMIN_LOGIN_ROUTE)
def admin_login(request: Request) -> RedirectResponse | None:
    target = safe_next(request.query_params.get("next"), Area.ADMIN)
    if session.is_admin():
        return RedirectResponse(target, status_code=303)
    with _login_card("Administration", "Melden Sie sich mit dem Admin-Schlüssel an."):
        problem = _problem_label()
        key = (
            ui.input("Admin-Schlüssel", password=True, password_toggle_button=True)
            .props('outlined autocomplete="current-password"')
            .classes("w-full")
            .mark("admin-key")
        )

        def with_key() -> None:
            try:
                session.log_in_admin(key.value or "", request.client.host if request.client else "unknown")
            except LoginRefused as refusal:
                _show(problem, str(refusal))
                return
            ui.navigate.to(target)

        key.on("keydown.enter", with_key)
        ui.button("Anmelden", icon="login", on_click=with_key).props("no-caps").mark("login-admin")
        ui.label(
            "Den Schlüssel finden Sie in der Einstellung ADMIN_API_KEY oder, in der eingebetteten "
            "Installation, in secrets.json im Datenverzeichnis."
        ).classes("text-xs luna-muted")
        problem.move(target_index=-1)
        if request.query_params.get("ended"):
            _show(problem, ENDED)
    return None


def _login_card(title: str, text: str) -> ui.card:
    apply_theme()
    name = web_context().settings.web.title
    ui.page_title(f"{title} · {name}")
    ui.query("body").classes("bg-primary")
    page = ui.column().classes("w-full min-h-screen items-center justify-center p-4").props('role="main"')
    with page, ui.card().classes("w-full max-w-lg p-6 gap-4") as card:
        with ui.row().classes("items-center gap-2"):
            ui.icon("dark_mode", size="lg").classes("text-accent").props('aria-hidden="true"')
            ui.label(name).classes("text-3xl font-bold text-primary")
        ui.label(title).classes("text-xl font-semibold").props('role="heading" aria-level="1"')
        ui.label(text).classes("luna-muted")
    return card


def _problem_label() -> ui.label:
    label = ui.label().classes("text-negative font-medium").props('role="alert" aria-live="assertive"')
    label.visible = False
    return label


def _show(label: ui.label, message: str) -> None:
    label.set_text(message)
    label.visible = True
