"""How the datasets view words a version's quality and a pipeline's schedule.

Plain functions (no NiceGUI), so the wording is specified by unit tests. A failed gate's text comes
from the domain (``DatasetVersion.failed_gates``), which the API and the CLI show alike.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any, Final

from luna.web.components.formats import de_number, de_percent, de_time

_DAILY: Final = re.compile(r"^daily (\d{2}):(\d{2})$")
EMPTY_QUALITY: Final = "Keine Qualitätswerte: der Datensatz ist leer."


def schedule_text(schedule: str | None, today: date | None = None) -> str:
    """``daily 02:30`` → ``täglich um 03:30 Uhr``: the schedule counts in UTC, the dashboards in Berlin
    time (on ``today``'s offset, so summer time shows 04:30)."""
    if schedule is None:
        return "nur auf Anforderung"
    if schedule == "hourly":
        return "stündlich"
    daily = _DAILY.match(schedule)
    if daily is None:
        return schedule
    day = today or datetime.now(UTC).date()
    at = datetime.combine(day, time(int(daily.group(1)), int(daily.group(2))), tzinfo=UTC)
    return f"täglich um {de_time(at)} Uhr"


def quality_line(quality: dict[str, Any], records: int) -> str:
    """The quality figures of a version; an empty one has none (its shares of nothing read as 100 %)."""
    if records == 0:
        return EMPTY_QUALITY

    def share(key: str) -> str:
        return de_percent(float(quality.get(key) or 0.0))

    score = de_number(float(quality.get("score") or 0.0), 1)
    return (
        f"Qualität {score} von 100 · Konfidenz {share('confidence')} · "
        f"Vollständigkeit {share('completeness')} · Gültigkeit {share('validity')} · "
        f"Eindeutigkeit {share('uniqueness')} · Konsistenz {share('consistency')}"
    )


def quality_score(quality: dict[str, Any], records: int) -> str:
    """The short form in the list of earlier versions: ``Qualität 97,5`` or ``leer``."""
    if records == 0:
        return "leer"
    return f"Qualität {de_number(float(quality.get('score') or 0.0), 1)}"
