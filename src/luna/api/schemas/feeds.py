"""``/api/v1/admin/feeds``: CSV drops, what each import kept and which lines it refused."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from luna.services.energy.feeds import Drop


class FeedProblemOut(BaseModel):
    """A refused row (or, among ``notices``, a remarkable accepted one): where and why."""

    line: int = Field(description="Line in the file (the header is line 1)")
    field: str = Field(description="The column at fault, or `row` when the line cannot be read as a row")
    reason: str
    ts: str = Field("", description="The row's ts as written")
    meter_id: str | None = None
    market: str | None = None
    product: str | None = None


class FeedReportOut(BaseModel):
    """What an import did. A failed drop has only ``bytes`` and ``error``."""

    bytes: int = 0
    error: str | None = Field(None, description="Why the whole file was refused")
    rows: int = Field(0, description="Data rows read")
    rows_ok: int = Field(0, description="Rows that passed the rules")
    rows_bad: int = Field(0, description="Rows refused (all of them, even when not all are listed)")
    inserted: int = Field(0, description="Rows stored")
    duplicates: int = Field(0, description="Rows repeating a meter and time earlier in the file (dropped)")
    already_stored: int = Field(0, description="Rows whose meter and time were stored already (skipped)")
    late: int = Field(0, description="Rows older than the meter's newest stored reading (stored)")
    out_of_order: int = Field(0, description="Rows older than a row of the same meter above them (stored)")
    counter_resets: int = Field(0, description="Rows whose register is lower than the one before it")
    conflicts: int = Field(0, description="Repeated meter and time with other values (the first is kept)")
    problems: list[FeedProblemOut] = Field(default_factory=list, description="Refused rows, the first 200")
    notices: list[FeedProblemOut] = Field(
        default_factory=list, description="Counter resets and conflicts, the first 200"
    )


class FeedFileOut(BaseModel):
    key: str = Field(description="Blob key of the drop")
    status: Literal["imported", "failed", "pending"] = Field(
        description="`pending`: in the drop folder, not yet reached by the worker's scan"
    )
    kind: str | None = Field(None, description="smart_meter_readings, market_prices or unknown")
    sha256: str | None = None
    rows_ok: int = 0
    rows_bad: int = 0
    imported_at: datetime | None = None

    @classmethod
    def from_drop(cls, drop: Drop) -> FeedFileOut:
        record = drop.record
        if record is None:
            return cls(key=drop.key, status="pending")
        return cls(
            key=drop.key,
            status=record.status,
            kind=record.kind,
            sha256=record.sha256,
            rows_ok=record.rows_ok,
            rows_bad=record.rows_bad,
            imported_at=record.imported_at,
        )


class FeedFileDetail(FeedFileOut):
    report: FeedReportOut | None = None

    @classmethod
    def from_drop(cls, drop: Drop) -> FeedFileDetail:
        summary = FeedFileOut.from_drop(drop).model_dump()
        report: dict[str, Any] | None = drop.record.report if drop.record is not None else None
        return cls(**summary, report=FeedReportOut.model_validate(report) if report is not None else None)


class FeedFilePage(BaseModel):
    files: list[FeedFileOut]
    total: int
    limit: int
    offset: int
