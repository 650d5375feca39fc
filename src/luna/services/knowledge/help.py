"""German help for a dashboard route, written by Luna from her knowledge base and cached.

For a route, Luna asks her knowledge base the route's question (``domain/help.py``) through the same
answering path as ``/rag/ask`` (retrieval, the configured chat model, citation checks), and the help
text is the route's purpose sentence followed by that cited answer, cut to ``help.max_chars``.

The text is cached in ``help_texts`` per route and model version: chat model + embedding model +
a digest of the knowledge base's fingerprint + the route's wording. A new model, any change of the
searchable knowledge base or edited route wording therefore writes the text again; the route's older
versions are deleted when the new one is stored.

The written fallback (``generated: false``, never cached) is served when generation is switched off,
the knowledge base is empty, it has nothing on the route, the model failed or timed out (the
answering path then falls back to the extractive answerer, which counts as "no model"), or another
request of this process is still writing the route's text after ``wait_sec``. Only one request per
process writes a route's text at a time; the others wait for it and then read the cache. A route
whose text could not be written is not tried again for ``RETRY_AFTER_SEC`` in this process, so a
down model server does not cost every page view a timeout. Like the rollup freshness in
``services/metrics.py``, that state belongs to the database, so it is kept per :class:`Database`.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime

from luna.domain.answers import cited_chunk_ids
from luna.domain.errors import Unavailable
from luna.domain.help import (
    Audience,
    HelpRoute,
    HelpText,
    StoredHelpText,
    compose_help_text,
    help_model_version,
    help_route,
    routes_for,
)
from luna.ports.sql import Database
from luna.services.knowledge.answering import AnswerService
from luna.settings import HelpSettings

logger = logging.getLogger(__name__)

RETRY_AFTER_SEC = 120.0
#: Chunks Luna reads for a help text: enough for a paragraph with a few cited points.
_TOP_K = 6


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Generations:
    """Per database: one lock per route, and the routes whose last attempt failed (when, which version)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, threading.Lock] = {}
        #: route → (model version, monotonic time, reason) of its last failed attempt.
        self.failed: dict[str, tuple[str, float, str]] = {}

    def lock_for(self, route: str) -> threading.Lock:
        with self._lock:
            return self._routes.setdefault(route, threading.Lock())


_GENERATIONS: weakref.WeakKeyDictionary[Database, _Generations] = weakref.WeakKeyDictionary()
_GENERATIONS_LOCK = threading.Lock()


def _generations(database: Database) -> _Generations:
    with _GENERATIONS_LOCK:
        state = _GENERATIONS.get(database)
        if state is None:
            state = _GENERATIONS[database] = _Generations()
        return state


class _NotWritten(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HelpService:
    def __init__(
        self,
        database: Database,
        answers: Callable[[], AnswerService],
        settings: HelpSettings,
        *,
        chat_model: str,
        embedding_model: str,
        wait_sec: float,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``answers`` is called only when a text is to be written, so serving the cache or the
        fallback never opens the vector store or loads a model."""
        self._database = database
        self._answers = answers
        self._settings = settings
        self._chat_model = chat_model
        self._embedding_model = embedding_model
        self._wait_sec = wait_sec
        self._clock = clock
        self._monotonic = monotonic

    @staticmethod
    def routes(audience: Audience | None = None) -> list[HelpRoute]:
        """The routes with help that ``audience`` may read (``None``: all)."""
        return routes_for(audience)

    def context(self, route: str | None, audience: Audience | None = None) -> HelpText:
        """The help text of ``route`` (400 when missing, 404 when unknown or not ``audience``'s)."""
        target = help_route(route, audience)
        if not self._settings.generate:
            return self._fallback(target, "disabled")
        version, indexed_items, cached = self._lookup(target)
        if cached is not None:
            return self._served(target, cached)
        if indexed_items == 0:
            return self._fallback(target, "empty_knowledge_base")
        state = _generations(self._database)
        failed = self._recent_failure(state, target.route, version)
        if failed is not None:
            return self._fallback(target, failed)
        lock = state.lock_for(target.route)
        if not lock.acquire(timeout=self._wait_sec):
            return self._fallback(target, "busy")
        try:
            # Whoever held the lock may have written the text, or failed to: both are answers for us too.
            version, _, cached = self._lookup(target)
            if cached is not None:
                return self._served(target, cached)
            failed = self._recent_failure(state, target.route, version)
            if failed is not None:
                return self._fallback(target, failed)
            try:
                stored = self._write(target, version)
            except _NotWritten as refused:
                state.failed[target.route] = (version, self._monotonic(), refused.reason)
                return self._fallback(target, refused.reason)
            state.failed.pop(target.route, None)
            return self._served(target, stored)
        finally:
            lock.release()

    def _recent_failure(self, state: _Generations, route: str, version: str) -> str | None:
        """Why the last attempt at this route and version failed, if it did less than RETRY_AFTER_SEC ago."""
        failure = state.failed.get(route)
        if failure is None or failure[0] != version or self._monotonic() - failure[1] >= RETRY_AFTER_SEC:
            return None
        return failure[2]

    def _lookup(self, target: HelpRoute) -> tuple[str, int, StoredHelpText | None]:
        with self._database.unit_of_work(read_only=True) as uow:
            indexed, versions, newest = uow.items.fingerprint()
            version = help_model_version(
                self._chat_model, self._embedding_model, _digest(indexed, versions, newest), target
            )
            return version, indexed, uow.help_texts.get(target.route, version)

    def _write(self, target: HelpRoute, version: str) -> StoredHelpText:
        try:
            answer = self._answers().ask(target.question, top_k=_TOP_K)
        except Unavailable as error:
            logger.warning("help for %s not written: %s", target.route, error.message)
            raise _NotWritten("model_unavailable") from error
        if answer.fallback_reason is not None:
            logger.warning("help for %s not written: %s", target.route, answer.fallback_reason)
            raise _NotWritten("model_unavailable")
        if not answer.citations:
            raise _NotWritten("no_relevant_content")
        text = compose_help_text(target.purpose, answer.answer, self._settings.max_chars)
        allowed = set(answer.chunks_used)
        sources = [chunk_id for chunk_id in cited_chunk_ids(text) if chunk_id in allowed]
        if not sources:
            # The cut left no cited sentence: only the purpose, which is what the fallback says better.
            raise _NotWritten("no_relevant_content")
        stored = StoredHelpText(
            route=target.route, model_version=version, text=text, created_at=self._clock(), sources=sources
        )
        with self._database.unit_of_work() as uow:
            uow.help_texts.put(stored)
            uow.help_texts.delete_other_versions(target.route, keep=version)
            uow.commit()
        logger.info("help for %s written by %s with %d sources", target.route, self._chat_model, len(sources))
        return stored

    @staticmethod
    def _served(target: HelpRoute, stored: StoredHelpText) -> HelpText:
        return HelpText(
            route=target.route,
            title=target.title,
            text=stored.text,
            sources=list(stored.sources),
            generated=True,
            model_version=stored.model_version,
            created_at=stored.created_at,
        )

    def _fallback(self, target: HelpRoute, reason: str) -> HelpText:
        return HelpText(
            route=target.route,
            title=target.title,
            text=compose_help_text(target.purpose, target.fallback, self._settings.max_chars),
            sources=[],
            generated=False,
            fallback_reason=reason,
        )


def _digest(indexed: int, versions: int, newest: datetime | None) -> str:
    """Twelve hex digits of the knowledge base's fingerprint (indexed items, versions, newest change)."""
    stamp = newest.isoformat() if newest is not None else "-"
    return hashlib.sha256(f"{indexed}:{versions}:{stamp}".encode()).hexdigest()[:12]
