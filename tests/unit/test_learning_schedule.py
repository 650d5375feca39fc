"""When the worker queues the nightly learning run: 03:00 Berlin time daily, catching up after downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from luna.domain.learning.schedule import NightlySchedule

BERLIN = ZoneInfo("Europe/Berlin")
NIGHTLY = NightlySchedule.parse("03:00", "Europe/Berlin")


def berlin(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def test_the_slot_is_the_latest_nightly_time_at_or_before_now() -> None:
    assert NIGHTLY.last_slot(berlin(2025, 1, 15, 2, 59)) == berlin(2025, 1, 14, 3)
    assert NIGHTLY.last_slot(berlin(2025, 1, 15, 3, 0)) == berlin(2025, 1, 15, 3)
    assert NIGHTLY.last_slot(berlin(2025, 1, 15, 23, 0)) == berlin(2025, 1, 15, 3)
    # Given in UTC: 01:30 UTC in winter is 02:30 in Berlin, before that night's slot.
    assert NIGHTLY.last_slot(datetime(2025, 1, 15, 1, 30, tzinfo=UTC)) == berlin(2025, 1, 14, 3)


def test_a_run_is_due_once_per_night_and_not_again_after_it_was_queued() -> None:
    last_night = berlin(2025, 1, 14, 3, 0, 30)

    assert not NIGHTLY.due(berlin(2025, 1, 15, 2, 59), last_run=last_night, busy=False)
    assert NIGHTLY.due(berlin(2025, 1, 15, 3, 0), last_run=last_night, busy=False)
    assert not NIGHTLY.due(berlin(2025, 1, 15, 3, 1), last_run=berlin(2025, 1, 15, 3, 0, 5), busy=False)


def test_a_worker_that_was_down_at_night_catches_up_when_it_starts() -> None:
    assert NIGHTLY.due(berlin(2025, 1, 15, 14, 0), last_run=berlin(2025, 1, 13, 3), busy=False)
    assert NIGHTLY.due(berlin(2025, 1, 15, 14, 0), last_run=None, busy=False)  # never ran at all


def test_a_manual_run_during_the_day_does_not_replace_the_next_nightly_run() -> None:
    manual = berlin(2025, 1, 14, 15, 0)

    assert not NIGHTLY.due(berlin(2025, 1, 14, 20, 0), last_run=manual, busy=False)
    assert NIGHTLY.due(berlin(2025, 1, 15, 3, 0), last_run=manual, busy=False)


def test_nothing_is_queued_while_a_run_is_queued_or_running() -> None:
    assert not NIGHTLY.due(berlin(2025, 1, 15, 3, 0), last_run=None, busy=True)


@pytest.mark.parametrize(
    ("now", "slot_utc"),
    [
        # Clocks go forward at 02:00 on 2025-03-30: 03:00 CEST is 01:00 UTC.
        (berlin(2025, 3, 30, 3, 30), datetime(2025, 3, 30, 1, 0, tzinfo=UTC)),
        # Clocks go back at 03:00 on 2025-10-26: 03:00 CET is 02:00 UTC.
        (berlin(2025, 10, 26, 4, 0), datetime(2025, 10, 26, 2, 0, tzinfo=UTC)),
    ],
)
def test_the_slot_follows_local_time_across_daylight_saving_changes(
    now: datetime, slot_utc: datetime
) -> None:
    assert NIGHTLY.last_slot(now) == slot_utc


def test_a_time_that_does_not_exist_that_night_falls_an_hour_later() -> None:
    schedule = NightlySchedule.parse("02:30", "Europe/Berlin")

    slot = schedule.last_slot(berlin(2025, 3, 30, 12, 0))

    assert slot == datetime(2025, 3, 30, 1, 30, tzinfo=UTC)
    assert slot.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    assert slot - schedule.last_slot(berlin(2025, 3, 29, 12, 0)) == timedelta(hours=24)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        NIGHTLY.last_slot(datetime(2025, 1, 15, 3, 0))
