"""CSV drops: files in the seed's format under ``feeds.csv_prefix`` of the blob store, each imported once.

A drop is imported when the worker's scan finds it (``feeds.scan_csv``) or at once when an operator
uploads it (API, ``luna feeds import``). Its key and sha256 are recorded with the counts and a report of
the refused rows by line number, so it is never imported twice, and its good rows are kept even when
others are bad. What refuses a whole file (a name that says neither readings nor prices, more than
``feeds.csv_max_mb``, a header that is not the seed's) is recorded as a failed drop when the scan finds
it, and refused before anything is stored when it is uploaded.

An upload is imported before its blob is written, so the scan can never pick up a file that is
still being imported. A write that fails midway (the database gone) leaves the drop unrecorded: the
next scan imports it again, and the rows stored the first time are skipped as duplicates.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from luna.domain.blobs import check_blob_key
from luna.domain.energy import FeedFile
from luna.domain.energy_sequence import DEFAULT_MAX_LISTED, Counts
from luna.domain.energy_validation import ReadingRules
from luna.domain.errors import InvalidInput, LunaError, NotFound, TooLarge, Unavailable
from luna.ports.blobs import BlobStore
from luna.ports.energy import EnergyStore
from luna.services.energy.feeds_csv import NAME_HINT, CsvKind, csv_kind, read_chunks, read_header
from luna.services.energy.feeds_intake import Clock, PriceIntake, ReadingIntake, utc_now

logger = logging.getLogger(__name__)

UPLOAD_FOLDER: Final = "uploads"
_UNSAFE_NAME_CHARS: Final = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class CsvFeedSettings:
    prefix: str
    max_bytes: int
    rules: ReadingRules
    max_listed: int = DEFAULT_MAX_LISTED


@dataclass(frozen=True)
class Drop:
    """A file under the drop prefix and its record; no record means the scan has not reached it yet."""

    key: str
    record: FeedFile | None


Progress = Callable[[float, str], None]


def _never() -> bool:
    return False


def _silent(_fraction: float, _message: str) -> None:
    return None


def upload_name(filename: str | None) -> str:
    """The file name an upload is stored under: its base name with unusual characters replaced."""
    name = _UNSAFE_NAME_CHARS.sub("_", posixpath.basename((filename or "").replace("\\", "/")))[-100:]
    if not name.strip("._"):
        raise InvalidInput(f"The upload needs a file name; {NAME_HINT}.")
    return name


class CsvFeeds:
    def __init__(
        self, store: EnergyStore, blobs: BlobStore, settings: CsvFeedSettings, *, clock: Clock = utc_now
    ) -> None:
        self._store = store
        self._blobs = blobs
        self._settings = settings
        self._clock = clock

    @property
    def prefix(self) -> str:
        return self._settings.prefix

    @property
    def max_bytes(self) -> int:
        """The largest drop :meth:`upload` takes (``feeds.csv_max_mb``)."""
        return self._settings.max_bytes

    def upload(self, filename: str | None, data: bytes) -> FeedFile:
        """Import an uploaded file now and keep it under the prefix; a refused file leaves no trace."""
        name = upload_name(filename)
        kind = csv_kind(name)
        if kind is None:
            raise InvalidInput(
                f"{name!r} is neither readings nor prices: {NAME_HINT}.", details={"name": name}
            )
        self._check_size(len(data))
        read_header(data, kind)
        # Microseconds: uploads of one second were listed in the order of their random suffix.
        stamp = self._clock().strftime("%Y%m%dT%H%M%S%fZ")
        key = check_blob_key(f"{self.prefix}{UPLOAD_FOLDER}/{stamp}-{secrets.token_hex(4)}/{name}")
        record = self._import(key, kind, data)
        _refuse_without_good_rows(record)
        self._store.record_feed_file(record)
        self._blobs.put(key, data, "text/csv")
        return record

    def scan(self, should_stop: Callable[[], bool] = _never, progress: Progress = _silent) -> list[FeedFile]:
        """Import every drop under the prefix that has no record yet; returns the new records."""
        waiting = self.waiting()
        records, broken = [], []
        for done, key in enumerate(waiting):
            if should_stop():
                break
            progress(
                done / len(waiting), f"{posixpath.basename(key)} wird eingelesen ({done + 1}/{len(waiting)})"
            )
            try:
                records.append(self.process(key))
            except Exception:  # one drop that cannot be recorded must not hold up the others
                logger.exception("CSV drop %s could not be imported; the next scan tries again", key)
                broken.append(key)
        progress(1.0, f"{len(records)} CSV-Dateien eingelesen")
        if broken:
            raise Unavailable(
                f"{len(broken)} of {len(waiting)} CSV drops could not be imported (the next scan tries "
                f"again): {', '.join(broken[:10])}"
            )
        return records

    def waiting(self) -> list[str]:
        """The drops under the prefix that have no record yet."""
        return [key for key in self._blobs.list(self.prefix) if self._store.feed_file(key) is None]

    def process(self, key: str) -> FeedFile:
        """Import one drop (or record why it cannot be) and remember it."""
        kind = csv_kind(key)
        data = self._blobs.get(key)
        try:
            if kind is None:
                raise InvalidInput(f"The file holds neither readings nor prices: {NAME_HINT}.")
            self._check_size(len(data))
            record = self._import(key, kind, data)
        except (InvalidInput, TooLarge) as error:
            logger.warning("CSV drop %s refused: %s", key, error.message)
            record = self._failed(key, kind, data, error)
        if self._store.feed_file(key) is not None:  # another worker finished it meanwhile; keep its record
            logger.info("CSV drop %s was imported by another worker meanwhile", key)
        else:
            self._store.record_feed_file(record)
        logger.info(
            "CSV drop %s: %s, %d rows ok, %d refused", key, record.status, record.rows_ok, record.rows_bad
        )
        return record

    def drops(self, *, limit: int, offset: int = 0) -> tuple[list[Drop], int]:
        """A page of the drops under the prefix and how many there are, keys in reverse order (so
        uploads, whose folder names start with the upload time, come newest first)."""
        keys = self._blobs.list(self.prefix)
        page = sorted(keys, reverse=True)[offset : offset + limit]
        return [Drop(key, self._store.feed_file(key)) for key in page], len(keys)

    def drop(self, key: str) -> Drop:
        record = self._store.feed_file(key)
        if record is None and not (key.startswith(self.prefix) and self._blobs.exists(key)):
            raise NotFound(f"No CSV drop named {key[:120]!r}.")
        return Drop(key, record)

    def _check_size(self, size: int) -> None:
        if size > self._settings.max_bytes:
            raise TooLarge(
                f"The file is larger than the {self._settings.max_bytes // (1024 * 1024)} MB "
                f"({self._settings.max_bytes:,} bytes) CSV drops may have (setting feeds.csv_max_mb).",
                details={"max_bytes": self._settings.max_bytes},
            )

    def _import(self, key: str, kind: CsvKind, data: bytes) -> FeedFile:
        intake: ReadingIntake | PriceIntake
        if kind == "smart_meter_readings":
            intake = ReadingIntake(self._store, self._settings.rules, source="csv", clock=self._clock)
        else:
            intake = PriceIntake(self._store, clock=self._clock)
        report = intake.report
        for chunk in read_chunks(data, kind, max_listed=self._settings.max_listed):
            if chunk.malformed_rows:
                malformed = Counts(rows=chunk.malformed_rows, rows_bad=chunk.malformed_rows)
                report.add(malformed, chunk.malformed, [])
            if len(chunk.raw):
                intake.ingest(chunk.raw)
        return FeedFile(
            key=key,
            sha256=hashlib.sha256(data).hexdigest(),
            kind=kind,
            status="imported",
            rows_ok=report.counts.rows_ok,
            rows_bad=report.counts.rows_bad,
            report={"bytes": len(data), **report.as_dict()},
            imported_at=self._clock(),
        )

    def _failed(self, key: str, kind: CsvKind | None, data: bytes, error: LunaError) -> FeedFile:
        return FeedFile(
            key=key,
            sha256=hashlib.sha256(data).hexdigest(),
            kind=kind or "unknown",
            status="failed",
            rows_ok=0,
            rows_bad=0,
            report={"bytes": len(data), "error": error.message},
            imported_at=self._clock(),
        )


def _refuse_without_good_rows(record: FeedFile) -> None:
    """An upload of only a header, or of rows that were all refused, imported nothing: it is refused
    with the problems (the first ones, as the report lists them) and not kept, so the list of drops
    shows what was imported, not every failed attempt. (A file of rows already stored passes: its rows
    were good.)"""
    if record.rows_ok > 0:
        return
    if record.rows_bad == 0:
        raise InvalidInput("The file has its header line but no rows; nothing was stored.")
    raise InvalidInput(
        f"None of the file's rows could be imported ({record.rows_bad} refused); nothing was stored. "
        "The problems are listed by line number.",
        details={"rows_bad": record.rows_bad, "problems": record.report.get("problems", [])},
    )
