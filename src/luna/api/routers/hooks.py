"""``/api/v1/hooks``: conversation sessions from outside (an n8n workflow, a chat front end).

The body is documented in OpenAPI (``SessionIn``). Authenticate with a service account key that has
``sessions:write`` (``X-Service-Key``) or sign the raw body (``X-Luna-Signature: sha256=<hex>``,
HMAC-SHA256 under ``flywheel.webhook_secret``). Resends are safe: the same session again is
``unchanged``; a changed one becomes the next revision. Sessions without consent are counted, not kept.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from luna.api.auth import session_sender
from luna.api.deps import from_services, get_container
from luna.api.envelope import ok
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.flywheel import IngestResultOut, IngestResultsOut, SessionBatchIn, SessionIn
from luna.container import Container
from luna.domain.errors import TooLarge
from luna.domain.flywheel.sessions import IncomingSession
from luna.services.flywheel.sessions import SessionService
from luna.settings import FlywheelSettings

router = APIRouter(prefix="/hooks", tags=["flywheel"])
Sender = Annotated[str, Depends(session_sender)]
Sessions = Annotated[SessionService, from_services(lambda s: s.sessions)]


@router.post("/session", summary="Receive one conversation session (n8n webhook)")
def receive_session(
    body: SessionIn,
    sender: Sender,
    sessions: Sessions,
    container: Annotated[Container, Depends(get_container)],
) -> Envelope[IngestResultOut]:
    del sender
    _check_limits([body], container.settings.flywheel)
    result = sessions.ingest([body.to_domain()])[0]
    return ok(IngestResultOut.from_result(result), f"Session {result.outcome.value}.")


@router.post("/sessions", summary="Receive a batch of sessions in one transaction")
def receive_sessions(
    body: SessionBatchIn,
    sender: Sender,
    sessions: Sessions,
    container: Annotated[Container, Depends(get_container)],
) -> Envelope[IngestResultsOut]:
    del sender
    _check_limits(body.sessions, container.settings.flywheel)
    results = sessions.ingest([session.to_domain() for session in body.sessions])
    return ok(
        IngestResultsOut(results=[IngestResultOut.from_result(r) for r in results]),
        f"{len(results)} session(s).",
    )


def _check_limits(sessions: list[SessionIn], limits: FlywheelSettings) -> None:
    if len(sessions) > limits.max_batch:
        raise TooLarge(f"At most {limits.max_batch} sessions per request (flywheel.max_batch).")
    for session in sessions:
        if len(session.turns) > limits.max_turns:
            raise TooLarge(
                f"Session {session.session_id!r} has {len(session.turns)} turns; "
                f"at most {limits.max_turns} are accepted (flywheel.max_turns)."
            )
        longest = _longest_text(session.to_domain())
        if longest > limits.max_text_chars:
            raise TooLarge(
                f"Session {session.session_id!r} holds a text of {longest} characters; "
                f"at most {limits.max_text_chars} are accepted (flywheel.max_text_chars)."
            )


def _longest_text(session: IncomingSession) -> int:
    return max(len(text) for turn in session.turns for text in (turn.question, turn.answer, turn.note or ""))
