"""``/api/v1/flywheel``: what service accounts may read: stored sessions (audited), counts and KPIs.

Reading a session's texts needs the scope ``sessions:read-raw`` and a reason; every read is written
to the audit log with the account, the session and the reason (the blueprint's "raw data only
through service accounts with an audit log").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from luna.api.auth import service_account
from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.flywheel import StoredSessionOut
from luna.domain.errors import InvalidInput
from luna.domain.flywheel.accounts import Scope, ServiceAccount
from luna.domain.flywheel.kpi_values import Kpi, Window
from luna.services.flywheel.accounts import AccountService
from luna.services.flywheel.kpis import KpiService
from luna.services.flywheel.sessions import SessionService

#: A raw read names why, in words: the reason is what the audit log keeps of it.
MIN_REASON_CHARS = 3

router = APIRouter(prefix="/flywheel", tags=["flywheel"])
Sessions = Annotated[SessionService, from_services(lambda s: s.sessions)]
Accounts = Annotated[AccountService, from_services(lambda s: s.accounts)]
Kpis = Annotated[KpiService, from_services(lambda s: s.kpis)]
RawReader = Annotated[ServiceAccount, Depends(service_account(Scope.SESSIONS_READ_RAW))]
KpiReader = Annotated[ServiceAccount, Depends(service_account(Scope.KPI_READ))]


class SessionCountsOut(BaseModel):
    sessions: int = Field(description="Stored sessions (each once, whatever its revisions)")
    consentless_last_30_days: dict[str, int] = Field(
        description="Sessions refused for lack of consent, by source"
    )


@router.get(
    "/sessions/{source}/{session_id}",
    summary="One stored session with its texts (pseudonymous, redacted; the read is audited)",
    responses={404: error_response("No such session")},
)
def read_session(
    source: str,
    session_id: str,
    account: RawReader,
    sessions: Sessions,
    accounts: Accounts,
    reason: Annotated[
        str, Query(min_length=MIN_REASON_CHARS, max_length=300, description="Why the texts are read")
    ],
) -> Envelope[StoredSessionOut]:
    why = " ".join(reason.split())
    if len(why) < MIN_REASON_CHARS:
        # "   " passed the length check and went into the audit log as the reason: the point of the read.
        raise InvalidInput(f"reason: say in at least {MIN_REASON_CHARS} characters why the texts are read")
    session = sessions.read(source, session_id)
    accounts.audit_raw_read(account, f"{source}/{session_id}", why)
    return ok(StoredSessionOut.from_session(session))


@router.get("/sessions", summary="How many sessions are stored, and how many came without consent")
def session_counts(account: KpiReader, sessions: Sessions) -> Envelope[SessionCountsOut]:
    del account
    stats = sessions.stats((datetime.now(UTC) - timedelta(days=30)).date())
    return ok(SessionCountsOut(sessions=stats.sessions, consentless_last_30_days=stats.consentless))


class KpiValueOut(BaseModel):
    kpi: Kpi
    window: Window
    bucket_start: datetime = Field(description="Start of the bucket (UTC); it lasts one window")
    scope: str = Field(description='"all" or "topic:<name>"')
    value: float
    samples: int = Field(description="Observations the value rests on")


@router.get("/kpis", summary="The newest value of every KPI for one window, overall and per topic")
def latest_kpis(
    account: KpiReader,
    kpis: Kpis,
    window: Annotated[Window, Query(description="hour, day or week")] = Window.DAY,
    scope: Annotated[str | None, Query(max_length=90, description='Only this scope, e.g. "all"')] = None,
) -> Envelope[list[KpiValueOut]]:
    del account
    values = [v for v in kpis.latest() if v.window is window and scope in (None, v.scope)]
    return ok([KpiValueOut(**{name: getattr(v, name) for name in KpiValueOut.model_fields}) for v in values])
