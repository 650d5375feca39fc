"""``GET /api/v1/metrics/overview`` and ``GET /api/v1/metrics/ingest``."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from luna.ports.metrics import DurationStats, Ratings
from luna.services.learning.metrics import DayEvents, IngestDay, IngestFailures, IngestMetrics, Overview


class RatingsOut(BaseModel):
    useful: int = Field(description="Ratings marked useful")
    total: int = Field(description="All ratings")
    useful_ratio: float | None = Field(description="useful / total; null when there are no ratings")

    @classmethod
    def from_ratings(cls, ratings: Ratings) -> RatingsOut:
        return cls(useful=ratings.useful, total=ratings.total, useful_ratio=ratings.useful_ratio)


class UsefulnessOut(BaseModel):
    overall: RatingsOut
    last_7_days: RatingsOut = Field(description="Ratings of the last 7 × 24 hours")
    last_30_days: RatingsOut = Field(description="Ratings of the last 30 × 24 hours")


class DayEventsOut(BaseModel):
    day: date = Field(description="Calendar day in Europe/Berlin (German local time, 00:00 to 24:00)")
    total: int
    by_type: dict[str, int] = Field(description="Events of the day by type (types without events left out)")

    @classmethod
    def from_day(cls, day: DayEvents) -> DayEventsOut:
        return cls(day=day.day, total=day.total, by_type=day.by_type)


class SystemStatusOut(BaseModel):
    """What the insight panel shows next to the counts; versions are at ``/system/info``."""

    jobs_by_status: dict[str, int] = Field(description="Jobs in the jobs table by status (all of them)")
    knowledge_updated_at: datetime | None = Field(description="Last change of any item; null when empty")
    events_daily_refreshed_at: datetime | None = Field(
        description="When this server last refreshed the daily event counts; null before its first refresh"
    )


class OverviewOut(BaseModel):
    as_of: datetime
    days: int = Field(description="Days covered by events_per_day (setting metrics.days)")
    items: int = Field(description="Items of every status")
    items_by_status: dict[str, int] = Field(description="pending, indexed, failed (zero included)")
    chunks: int = Field(description="Searchable chunks (archived versions not counted)")
    chunks_archived: int = Field(description="Chunks of superseded item versions, kept for provenance")
    users: int
    events_today: int = Field(description="Events of the current Europe/Berlin calendar day")
    events_today_by_type: dict[str, int]
    events_by_type: dict[str, int] = Field(description="All stored events by type")
    events_per_day: list[DayEventsOut] = Field(
        description="One entry per Europe/Berlin calendar day, oldest first, zeros included"
    )
    feedback: UsefulnessOut
    status: SystemStatusOut

    @classmethod
    def from_overview(cls, overview: Overview) -> OverviewOut:
        feedback = overview.feedback
        return cls(
            as_of=overview.as_of,
            days=overview.days,
            items=overview.items,
            items_by_status=overview.items_by_status,
            chunks=overview.chunks,
            chunks_archived=overview.chunks_archived,
            users=overview.users,
            events_today=sum(overview.events_today.values()),
            events_today_by_type=overview.events_today,
            events_by_type=overview.events_by_type,
            events_per_day=[DayEventsOut.from_day(day) for day in overview.events_per_day],
            feedback=UsefulnessOut(
                overall=RatingsOut.from_ratings(feedback.overall),
                last_7_days=RatingsOut.from_ratings(feedback.last_7_days),
                last_30_days=RatingsOut.from_ratings(feedback.last_30_days),
            ),
            status=SystemStatusOut(
                jobs_by_status=overview.jobs_by_status,
                knowledge_updated_at=overview.knowledge_updated_at,
                events_daily_refreshed_at=overview.events_daily_refreshed_at,
            ),
        )


class FailuresOut(BaseModel):
    items: int = Field(description="Items in status failed")
    jobs: int = Field(description="Ingest jobs that failed")
    files: int = Field(description="Files reported failed by ingest jobs that finished")
    total: int

    @classmethod
    def from_failures(cls, failures: IngestFailures) -> FailuresOut:
        return cls(items=failures.items, jobs=failures.jobs, files=failures.files, total=failures.total)


class IngestDayOut(BaseModel):
    day: date = Field(description="Europe/Berlin calendar day")
    documents: int = Field(description="Items created that day")
    chunks: int = Field(description="Chunks written that day (archived versions included)")
    failures: FailuresOut

    @classmethod
    def from_day(cls, day: IngestDay) -> IngestDayOut:
        return cls(
            day=day.day,
            documents=day.documents,
            chunks=day.chunks,
            failures=FailuresOut.from_failures(day.failures),
        )


class DurationOut(BaseModel):
    count: int
    avg_sec: float | None = Field(description="Mean seconds; null without samples")
    p95_sec: float | None = Field(description="95th percentile (nearest rank); null without samples")

    @classmethod
    def from_stats(cls, stats: DurationStats) -> DurationOut:
        return cls(count=stats.count, avg_sec=stats.avg_sec, p95_sec=stats.p95_sec)


class IngestOut(BaseModel):
    as_of: datetime
    days: int = Field(description="Days covered (setting metrics.days)")
    documents: int = Field(description="Items created in the period")
    chunks: int = Field(description="Chunks written in the period")
    failures: FailuresOut = Field(description="Failures in the period")
    per_day: list[IngestDayOut] = Field(
        description="One entry per Europe/Berlin calendar day, oldest first, zeros included"
    )
    items_by_status: dict[str, int] = Field(description="All items now, by status")
    indexing: DurationOut = Field(
        description="Per document: seconds from the pending item to indexed (storing, embedding, writing; "
        "extraction not included), first versions created in the period"
    )
    jobs: DurationOut = Field(
        description="Per succeeded ingest job (folders, demo set) finished in the period"
    )

    @classmethod
    def from_metrics(cls, metrics: IngestMetrics) -> IngestOut:
        return cls(
            as_of=metrics.as_of,
            days=metrics.days,
            documents=metrics.documents,
            chunks=metrics.chunks,
            failures=FailuresOut.from_failures(metrics.failures),
            per_day=[IngestDayOut.from_day(day) for day in metrics.per_day],
            items_by_status=metrics.items_by_status,
            indexing=DurationOut.from_stats(metrics.indexing),
            jobs=DurationOut.from_stats(metrics.jobs),
        )
