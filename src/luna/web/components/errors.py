"""Failures as a person reads them: a German sentence, never a stack trace or raw JSON.

Services raise :mod:`luna.domain.errors` with English messages written for API clients, so the
dashboards say what the kind of failure means for the user instead. Anything unexpected is logged
with a short reference number that the German message quotes, so the operator can find it.

Views run what may fail inside :func:`failure_shown`, the one way a dashboard reports a failure: as a
notification, or in place of an area's content when that content could not be loaded.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import structlog
from nicegui import ui

from luna.domain.errors import (
    Conflict,
    InvalidInput,
    LunaError,
    NotFound,
    RateLimited,
    TooLarge,
    Unavailable,
    Unprocessable,
    UnsupportedType,
)

log = structlog.stdlib.get_logger("luna.web")

_MESSAGES: dict[type[LunaError], str] = {
    InvalidInput: "Die Eingabe ist so nicht gültig. Bitte prüfen Sie die Angaben.",
    NotFound: "Das Gesuchte wurde nicht gefunden; es wurde vielleicht gelöscht.",
    Conflict: "Das gibt es bereits.",
    TooLarge: "Das ist zu groß, um es zu verarbeiten.",
    UnsupportedType: "Dieser Dateityp wird nicht unterstützt.",
    Unprocessable: "Diese Daten lassen sich so nicht auswerten.",
    Unavailable: "Ein Dienst ist gerade nicht erreichbar. Bitte versuchen Sie es gleich noch einmal.",
}


def german_message(error: BaseException) -> str:
    """What to tell the user about ``error`` (unexpected errors are logged with a reference)."""
    if isinstance(error, RateLimited):
        wait = error.details.get("retry_after_sec")
        seconds = math.ceil(float(wait)) if isinstance(wait, (int, float)) and wait > 0 else None
        return "Zu viele Anfragen in kurzer Zeit. " + (
            f"Bitte versuchen Sie es in {seconds} s erneut." if seconds else "Bitte warten Sie einen Moment."
        )
    if isinstance(error, Conflict) and "job_id" in error.details:
        log.info("web_refused", error_code=error.code, error=error.message)
        return (
            "Ein Job, der gerade wartet oder läuft, steht dem entgegen (etwa derselbe Job, schon gestartet); "
            "bitte versuchen Sie es nach seinem Ende erneut (Jobs)."
        )
    if isinstance(error, LunaError):
        for cls in type(error).__mro__:
            if cls in _MESSAGES:
                log.info("web_refused", error_code=error.code, error=error.message)
                return _MESSAGES[cls]
    reference = secrets.token_hex(4)
    log.error("web_unexpected_error", reference=reference, exc_info=error)
    return (
        "Es ist ein unerwarteter Fehler aufgetreten. Bitte laden Sie die Seite neu; "
        f"besteht das Problem weiter, nennen Sie dem Betrieb die Fehlernummer {reference}."
    )


#: By class name, as recorded; a job that found something missing is not helped by trying again soon.
_BY_NAME: dict[str, str] = {
    **{cls.__name__: text for cls, text in _MESSAGES.items()},
    Unavailable.__name__: "Etwas, das dafür nötig ist, steht hier nicht zur Verfügung.",
}


def recorded_failure(recorded: str) -> str:
    """A failure a job or pipeline run recorded for API clients (``InvalidInput: source 'x': no file
    at …``) as an operator reads it: what kind of failure in German, then the technical detail, without
    the class name."""
    name, colon, detail = recorded.partition(": ")
    if not (colon and name.isidentifier()):
        return f"Technische Meldung: {recorded}"
    headline = _BY_NAME.get(name, "Es ist ein unerwarteter Fehler aufgetreten.")
    return f"{headline} Technische Meldung: {detail}"


def notify_error(error: BaseException) -> None:
    """``error`` as a German notification (also the dashboards' handler of anything not caught)."""
    ui.notify(german_message(error), type="negative", position="top", close_button="Schließen", timeout=8000)


def error_state(error: BaseException, what: str) -> None:
    """``what`` could not be shown, and why, in German (the error itself goes to the log)."""
    with ui.row().classes("w-full items-start gap-3 p-3 rounded bg-red-50 no-wrap").props('role="alert"'):
        ui.icon("error_outline", size="md").classes("text-negative").props('aria-hidden="true"')
        with ui.column().classes("gap-0"):
            ui.label(f"{what} konnte nicht geladen werden.").classes("font-medium text-negative")
            ui.label(german_message(error)).classes("text-sm")


@dataclass
class Attempt:
    """What a :func:`failure_shown` block tells its caller afterwards."""

    failed: bool = False


@contextmanager
def failure_shown(*areas: ui.element, what: str = "") -> Iterator[Attempt]:
    """Run the block; if it raises, end it and tell the user in German why.

    Without ``areas`` the message is a notification; with them, each area's content is replaced by
    the message that ``what`` could not be loaded. Unexpected errors are logged with the reference
    number the message quotes. ``attempt.failed`` says afterwards whether a failure ended the block.
    """
    attempt = Attempt()
    try:
        yield attempt
    except Exception as error:
        attempt.failed = True
        if not areas:
            notify_error(error)
        for area in areas:
            area.clear()
            with area:
                error_state(error, what)
