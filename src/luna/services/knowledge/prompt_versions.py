"""Luna's prompts under version control (seed 003 phase 6): edited in the admin view, each save a new
version with its author, the diff and an audit entry; any kept version (or the packaged file) can be
made active again, like a fine-tuned adapter can be rolled back.

:meth:`PromptVersionService.active` is what answering asks before each question. It reads only the
active version's number from SQL, and that at most every :data:`ACTIVE_TTL_SEC` seconds per process;
the parsed prompts of each version are kept in memory (a version never changes once kept). A save or an
activation in this process takes effect at once, in the other processes within that time.
"""

from __future__ import annotations

import builtins
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

from luna.domain.answers import LunaPrompts, load_luna_prompts
from luna.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from luna.domain.prompt_versions import (
    MAX_NOTE_CHARS,
    PACKAGED_VERSION,
    InvalidPrompts,
    PromptVersion,
    check_prompts,
    packaged_prompt_text,
    prompt_diff,
    prompt_sha256,
)
from luna.domain.scores import AuditEntry
from luna.domain.storable import one_line, printable, shows_something, storable_text
from luna.ports.sql import Database, UnitOfWork

logger = logging.getLogger(__name__)

#: How long a process answers with the active version it read before it asks SQL again.
ACTIVE_TTL_SEC: Final = 5.0
SAVE_ACTION: Final = "prompt.save"
ACTIVATE_ACTION: Final = "prompt.activate"
#: Who the packaged file's pseudo-version names as its author.
PACKAGED_AUTHOR: Final = "luna"
MAX_AUTHOR_CHARS: Final = 120
#: Parsed prompts kept per process (versions never change, so they are only ever evicted).
_PARSED_KEPT = 16


class PromptVersionService:
    def __init__(
        self,
        database: Database,
        *,
        ttl_sec: float = ACTIVE_TTL_SEC,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = database
        self._ttl = ttl_sec
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        #: The active version and when it was read (monotonic seconds); None: read it next time.
        self._current: tuple[int, float] | None = None
        #: Version -> (the version that really answers, its prompts): a kept text that no longer passes
        #: the checks answers with the packaged file instead of failing every question.
        self._parsed: dict[int, tuple[int, LunaPrompts]] = {}

    # -- answering -----------------------------------------------------------------------------------

    def active(self) -> tuple[int, LunaPrompts]:
        """The version to answer with and its prompts (version 0: the packaged file)."""
        now = self._monotonic()
        current = self._current
        if current is None or now - current[1] >= self._ttl:
            current = (self._read_active(current), now)
            self._current = current
        return self._prompts(current[0])

    def _read_active(self, known: tuple[int, float] | None) -> int:
        try:
            with self._db.unit_of_work(read_only=True) as uow:
                version = uow.prompt_versions.active_version()
        except Unavailable:
            if known is None:
                raise
            logger.warning("prompt version not readable, answering with v%s as before", known[0])
            return known[0]
        return PACKAGED_VERSION if version is None else version

    def _prompts(self, version: int) -> tuple[int, LunaPrompts]:
        with self._lock:
            found = self._parsed.get(version)
        if found is not None:
            return found
        parsed = self._parse(version)
        with self._lock:
            while len(self._parsed) >= _PARSED_KEPT:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[version] = parsed
        return parsed

    def _parse(self, version: int) -> tuple[int, LunaPrompts]:
        if version == PACKAGED_VERSION:
            return PACKAGED_VERSION, load_luna_prompts()
        with self._db.unit_of_work(read_only=True) as uow:
            kept = uow.prompt_versions.get(version)
        try:
            if kept is None:
                raise NotFound(f"No prompt version {version}.")
            return version, check_prompts(kept.text)
        except (InvalidPrompts, NotFound) as error:
            logger.error("prompt v%s cannot answer, the packaged prompts do: %s", version, error.message)
            return PACKAGED_VERSION, load_luna_prompts()

    # -- versions ------------------------------------------------------------------------------------

    def list(self, limit: int = 100) -> builtins.list[PromptVersion]:
        """Kept versions newest first, then the packaged file (version 0, active when no other is)."""
        with self._db.unit_of_work(read_only=True) as uow:
            kept = builtins.list(uow.prompt_versions.list(limit=limit))
        return [*kept, _packaged(active=not any(v.active for v in kept))]

    def get(self, version: int) -> PromptVersion:
        with self._db.unit_of_work(read_only=True) as uow:
            return self._get(uow, version)

    def diff(self, before: int, after: int) -> str:
        """The unified diff from version ``before`` to version ``after`` (empty: the same text)."""
        with self._db.unit_of_work(read_only=True) as uow:
            old, new = self._get(uow, before), self._get(uow, after)
        return prompt_diff(old.text, new.text, f"v{old.version}", f"v{new.version}")

    def save(self, text: str, author: str, note: str | None = None) -> PromptVersion:
        """Keep ``text`` as a new version and answer with it from now on; a text that fails the checks
        is refused (:class:`~luna.domain.prompt_versions.InvalidPrompts`) and nothing is kept."""
        text = text.replace("\r\n", "\n")
        check_prompts(text)
        author, note = _author(author), _note(note)
        with self._db.unit_of_work() as uow:
            before = self._active_of(uow)
            if text == before.text:
                raise Conflict(
                    f"The text is the same as the active version {before.version}; nothing was kept.",
                    details={"active": before.version},
                )
            kept = uow.prompt_versions.add(
                text, sha256=prompt_sha256(text), author=author, note=note, created_at=self._clock()
            )
            details = {"note": note, "sha256": kept.sha256}
            self._audit(uow, author, SAVE_ACTION, before, kept, details)
            uow.commit()
        self._current = None
        logger.info("prompt v%s saved by %s", kept.version, author)
        return kept

    def activate(self, version: int, actor: str) -> PromptVersion:
        """Answer with ``version`` from now on (0: the packaged file): a rollback, or forward again."""
        actor = _author(actor)
        with self._db.unit_of_work() as uow:
            before = self._active_of(uow)
            target = self._get(uow, version)
            if target.version == before.version:
                raise Conflict(f"The prompt version {version} is active already.")
            uow.prompt_versions.activate(None if version == PACKAGED_VERSION else version)
            self._audit(uow, actor, ACTIVATE_ACTION, before, target, {})
            uow.commit()
        self._current = None
        logger.info("prompt v%s activated by %s (was v%s)", version, actor, before.version)
        return self.get(version)

    # -- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _get(uow: UnitOfWork, version: int) -> PromptVersion:
        if version == PACKAGED_VERSION:
            return _packaged(active=uow.prompt_versions.active_version() is None)
        found = uow.prompt_versions.get(version) if version > 0 else None
        if found is None:
            raise NotFound(f"No prompt version {version}.")
        return found

    @staticmethod
    def _active_of(uow: UnitOfWork) -> PromptVersion:
        return uow.prompt_versions.active() or _packaged(active=True)

    def _audit(
        self,
        uow: UnitOfWork,
        actor: str,
        action: str,
        before: PromptVersion,
        after: PromptVersion,
        details: dict[str, Any],
    ) -> None:
        """The entry names the version now active, the one it replaced and the diff between them."""
        diff = prompt_diff(before.text, after.text, f"v{before.version}", f"v{after.version}")
        entry = AuditEntry(
            str(uuid.uuid4()),
            self._clock(),
            actor,
            action,
            f"prompt:v{after.version}",
            {"version": after.version, "previous": before.version, **details, "diff": diff},
        )
        uow.audit.add(entry)


def _packaged(*, active: bool) -> PromptVersion:
    text = packaged_prompt_text()
    return PromptVersion(PACKAGED_VERSION, text, prompt_sha256(text), PACKAGED_AUTHOR, None, None, active)


def _author(author: str) -> str:
    cleaned = one_line(author)
    if not cleaned or len(cleaned) > MAX_AUTHOR_CHARS:
        raise InvalidInput(f"The author must be 1 to {MAX_AUTHOR_CHARS} characters.")
    return cleaned


def _note(note: str | None) -> str | None:
    """The note as the versions table and the audit log show it: printable, without direction
    overrides (an RLO reversed the operator's table) and without invisible-only text."""
    cleaned = printable(note or "").strip()
    if len(cleaned) > MAX_NOTE_CHARS:
        raise InvalidInput(f"The note is longer than {MAX_NOTE_CHARS} characters.")
    return storable_text(cleaned, "note") if shows_something(cleaned) else None
