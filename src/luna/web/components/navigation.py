"""The dashboards' views: route, German title (as the help texts know them) and the navigation.

The routes and titles are the shared list of issue #5/#6 (``luna.domain.help`` keeps the same list
for the help texts); ``label`` is the shorter name the navigation bar shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qsl, urlencode


class Area(StrEnum):
    CUSTOMER = "customer"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class View:
    route: str
    title: str
    label: str
    icon: str


CUSTOMER_VIEWS: Final = (
    View("/", "Übersicht", "Übersicht", "space_dashboard"),
    View("/ask", "Fragen an Luna", "Fragen an Luna", "forum"),
    View("/energy", "Smart-Meter", "Smart-Meter", "bolt"),
    View("/market", "Marktpreise", "Marktpreise", "show_chart"),
    View("/recommendations", "Empfehlungen", "Empfehlungen", "tips_and_updates"),
    View("/account", "Konto & Datenschutz", "Konto", "manage_accounts"),
)

ADMIN_VIEWS: Final = (
    View("/admin", "Übersicht & Gesundheit", "Übersicht", "monitor_heart"),
    View("/admin/upload", "Dokumente hochladen", "Hochladen", "upload_file"),
    View("/admin/corpus", "Korpus", "Korpus", "library_books"),
    View("/admin/jobs", "Jobs", "Jobs", "work_history"),
    View("/admin/activity", "Ereignisse, Feedback & Metriken", "Aktivität", "insights"),
    View("/admin/flywheel", "Daten-Schwungrad", "Schwungrad", "sync"),
    View("/admin/datasets", "Daten", "Daten", "dataset"),
    View("/admin/finetune", "Feintuning", "Feintuning", "model_training"),
    View("/admin/prompts", "Prompts", "Prompts", "edit_note"),
    View("/admin/accounts", "Dienstkonten", "Dienstkonten", "key"),
    View("/admin/logs", "Protokolle", "Protokolle", "receipt_long"),
)

LOGIN_ROUTE: Final = "/login"
ADMIN_LOGIN_ROUTE: Final = "/admin/login"

_BY_ROUTE: Final = {view.route: view for view in (*CUSTOMER_VIEWS, *ADMIN_VIEWS)}


def views(area: Area) -> tuple[View, ...]:
    return CUSTOMER_VIEWS if area is Area.CUSTOMER else ADMIN_VIEWS


def view_for(route: str) -> View:
    """The view registered for ``route`` (a KeyError for a route that is not in the list)."""
    return _BY_ROUTE[route]


def safe_next(target: str | None, area: Area) -> str:
    """Where to go after logging in: one of the area's own views, never another site.

    The view's query (a conversation, a meter and period) survives the login, re-encoded, so it can
    only ever be parameters of that view.
    """
    home = views(area)[0].route
    if not target:
        return home
    path, _, query = target.partition("?")
    if path not in {view.route for view in views(area)}:
        return home
    params = urlencode(parse_qsl(query, keep_blank_values=False))
    return f"{path}?{params}" if params else path
