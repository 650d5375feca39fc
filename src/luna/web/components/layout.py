"""The frame of every dashboard page and the decorators that register a page behind its login.

A page is an async function of a view object, registered for one route of
:mod:`luna.web.components.navigation`::

    @customer_page("/energy")
    async def energy(view: CustomerView) -> None:
        ...  # build the content; await in_thread(service_call) for anything blocking

The decorator checks the login (redirecting to it when missing), draws the header with the
navigation, the page title and the view's help card, waits until the browser is connected (so the
page itself arrives at once and slow data follows), and then calls the function inside the
content area. A failure while building shows a German error state in place of the content.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, TypeVar
from urllib.parse import quote

from fastapi.responses import RedirectResponse
from nicegui import Client, ui

from luna.web import session
from luna.web.components.errors import failure_shown, notify_error
from luna.web.components.help_panel import help_card
from luna.web.components.navigation import ADMIN_LOGIN_ROUTE, LOGIN_ROUTE, Area, View, view_for, views
from luna.web.components.theme import apply_theme
from luna.web.context import WebContext, web_context

#: How long a page waits for its browser to connect before it gives up building.
CONNECT_TIMEOUT_SEC = 30.0


@dataclass(frozen=True)
class CustomerView:
    web: WebContext
    view: View
    user_id: str


@dataclass(frozen=True)
class AdminView:
    web: WebContext
    view: View


V = TypeVar("V", CustomerView, AdminView)
#: How often an open admin page checks that its login still holds (a click checks at once).
SESSION_CHECK_SEC: Final = 15.0
Builder = Callable[[V], Awaitable[None]]


def customer_page(route: str) -> Callable[[Builder[CustomerView]], Builder[CustomerView]]:
    """Register ``build`` as the customer view at ``route`` (logged-in customers only)."""
    view = view_for(route)

    def register(build: Builder[CustomerView]) -> Builder[CustomerView]:
        @ui.page(route)
        async def page(client: Client) -> RedirectResponse | None:
            customer = session.current_customer()
            if customer is None:
                return _to_login(LOGIN_ROUTE, route, client)
            context = web_context()
            who = ("Entwickler-Login " if customer.via == "dev" else "Kunde ") + customer.user_id[:8]
            content = frame(Area.CUSTOMER, view, who)
            await _build(client, content, build, CustomerView(context, view, customer.user_id))
            return None

        return build

    return register


def admin_page(route: str) -> Callable[[Builder[AdminView]], Builder[AdminView]]:
    """Register ``build`` as the admin view at ``route`` (the admin key's session only)."""
    view = view_for(route)

    def register(build: Builder[AdminView]) -> Builder[AdminView]:
        @ui.page(route)
        async def page(client: Client) -> RedirectResponse | None:
            if not session.is_admin():
                return _to_login(ADMIN_LOGIN_ROUTE, route, client)
            _while_admin(client, route)
            content = frame(Area.ADMIN, view, "Administration")
            await _build(client, content, build, AdminView(web_context(), view))
            return None

        return build

    return register


def _while_admin(client: Client, route: str) -> None:
    """An open admin tab obeys a logout in another tab and the session's end. NiceGUI checks the login
    only when it builds a page; afterwards the tab's buttons reach the services over its connection.
    So every event of the page checks the login first (NiceGUI offers no hook before its handlers, so
    the client's own dispatcher is wrapped), and a timer leaves a page whose login ended."""
    dispatch = client.handle_event
    ended = f"{ADMIN_LOGIN_ROUTE}?next={quote(route, safe='/')}&ended=1"

    def checked(message: dict[str, Any]) -> None:
        with client:
            if not session.is_admin():
                ui.navigate.to(ended)
                return
        dispatch(message)

    def check() -> None:
        if not session.is_admin():
            ui.navigate.to(ended)

    client.handle_event = checked  # type: ignore[method-assign,assignment]
    ui.timer(SESSION_CHECK_SEC, check)


def _to_login(login: str, route: str, client: Client) -> RedirectResponse:
    """To the login, which comes back to the view with its query: a link to one document
    (``/admin/corpus?item=…``) opened with an expired session showed the whole corpus after login."""
    wanted = f"{route}?{client.request.url.query}" if client.request.url.query else route
    return RedirectResponse(f"{login}?next={quote(wanted, safe='/')}", status_code=303)


async def _build(client: Client, content: ui.column, build: Builder[V], view: V) -> None:
    try:
        await client.connected(timeout=CONNECT_TIMEOUT_SEC)
    except TimeoutError:
        return  # the browser left before the page was shown
    with content, failure_shown(content, what="Diese Ansicht"):
        await build(view)


def frame(area: Area, view: View, who: str) -> ui.column:
    """Header, title and help of ``view``; returns the (empty) column the view's content goes into."""
    apply_theme()
    ui.page_title(f"{view.title} · {web_context().settings.web.title}")
    ui.on_exception(notify_error)
    _header(area, view, who)
    with ui.element("main").classes("luna-main column gap-4 p-4 no-wrap") as main:
        ui.label(view.title).classes("text-2xl font-semibold text-primary").props(
            'role="heading" aria-level="1"'
        )
        help_card(view)
        content = ui.column().classes("w-full gap-4")
    ui.skip_link("Zum Inhalt springen", target=main)
    return content


def _header(area: Area, active: View, who: str) -> None:
    """The header with the navigation; below 1024 px the links fold into a menu (a drawer), so a
    phone keeps the whole width for the content and every link stays one tap away."""
    title = web_context().settings.web.title
    home = views(area)[0].route
    log_out = _log_out_admin if area is Area.ADMIN else _log_out_customer
    with (
        ui.left_drawer(value=False, fixed=True)
        .props("overlay behavior=mobile bordered")
        .classes("bg-white p-0") as drawer,
        ui.element("nav").classes("column w-full").props('aria-label="Hauptnavigation (Menü)"'),
    ):
        for item in views(area):
            _nav_button(item, active, "luna-drawer-link")
        ui.separator()
        ui.button("Abmelden", icon="logout", on_click=log_out).props("flat no-caps align=left").classes(
            "luna-drawer-link"
        )
    with ui.header().classes("bg-primary text-white items-center gap-4 px-4 py-2 no-wrap"):
        ui.button(icon="menu", on_click=drawer.toggle).props(
            'flat round color="white" aria-label="Menü öffnen"'
        ).classes("lt-md").mark("menu")
        with (
            ui.link(target=home)
            .classes("row items-center gap-2 no-underline text-white")
            .props(f'aria-label="{title} – Startseite"')
        ):
            ui.icon("dark_mode", size="md").classes("text-accent").props('aria-hidden="true"')
            ui.label(title).classes("text-xl font-bold tracking-wide")
            if area is Area.ADMIN:
                ui.badge("Admin", color="accent").props('text-color="dark"')
        with (
            ui.element("nav")
            .classes("luna-nav row items-center gap-1 wrap gt-sm")
            .props('aria-label="Hauptnavigation"')
        ):
            for item in views(area):
                _nav_button(item, active, "")
        ui.space()
        ui.label(who).classes("text-sm opacity-90 whitespace-nowrap gt-sm")
        ui.button("Abmelden", icon="logout", on_click=log_out).props('flat no-caps color="white"').classes(
            "gt-sm"
        )


def _nav_button(item: View, active: View, classes: str) -> None:
    color = "" if classes else ' color="white"'
    button = ui.button(item.label, icon=item.icon).props(f'flat no-caps{color} href="{item.route}" tag="a"')
    button.classes(classes)
    if item.route == active.route:
        button.classes("luna-nav-active").props('aria-current="page"')


def _log_out_customer() -> None:
    session.log_out_customer()
    ui.navigate.to(LOGIN_ROUTE)


def _log_out_admin() -> None:
    session.log_out_admin()
    ui.navigate.to(ADMIN_LOGIN_ROUTE)
