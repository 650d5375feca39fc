"""When the nightly learning run is due: once per day at ``learning.nightly_at`` local time.

The rule looks at the most recent scheduled moment at or before now (the *slot*): the run is due when
nothing has run since that slot and no run is queued or running. A worker that was down at 03:00
therefore catches up when it starts, a worker running at 03:00 queues exactly one run, and a failed run
is not retried every minute but at the next slot (or by hand). Local time follows the time zone's rules:
on the night the clocks change, the slot is the wall-clock time of that night (a time that does not exist
falls an hour later).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class NightlySchedule:
    at: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, nightly_at: str, timezone: str) -> NightlySchedule:
        """``HH:MM`` in an IANA time zone (``Europe/Berlin``)."""
        hours, minutes = (int(part) for part in nightly_at.split(":"))
        return cls(time(hours, minutes), ZoneInfo(timezone))

    def last_slot(self, now: datetime) -> datetime:
        """The latest scheduled moment at or before ``now`` (an aware datetime), in UTC."""
        if now.utcoffset() is None:
            raise ValueError("now must carry a time zone")
        # In UTC: aware datetimes sharing one tzinfo compare by wall clock, which is wrong around DST.
        now = now.astimezone(UTC)
        today = now.astimezone(self.zone).date()
        slot = datetime.combine(today, self.at, tzinfo=self.zone).astimezone(UTC)
        if slot > now:
            slot = datetime.combine(today - timedelta(days=1), self.at, tzinfo=self.zone).astimezone(UTC)
        return slot

    def due(self, now: datetime, *, last_run: datetime | None, busy: bool) -> bool:
        """Whether to queue a run now. ``last_run``: when the newest run was started or its scores
        computed (None: never); ``busy``: a run is queued or running."""
        if busy:
            return False
        return last_run is None or last_run.astimezone(UTC) < self.last_slot(now)
