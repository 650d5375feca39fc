"""Failures as a person reads them: a German sentence, never a stack trace or raw JSON.

Services raise :mod:`luna.domain.errors` with English messages written for API clients, so the
dashboards say what the kind of failure means for the user instead. Anything unexpected is logged
with a short reference number that the German message quotes, so the operator can find it.
"""

from __future__ import annotations

import math
import secrets

import structlog

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
