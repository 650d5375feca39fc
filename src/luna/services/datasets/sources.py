"""Reading a pipeline's sources into canonical frames, with what lineage needs (address, hash, count).

Files come from paths (globs), the blob store or URLs (through the SSRF-guarded fetcher); CSV in either
German (``;`` and decimal commas, cp1252) or English conventions, JSON Lines, JSON arrays and Parquet.
Luna's own history comes from its repositories: rated answers only of users who consented, already
redacted when they were stored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl
import yaml

from luna.domain.config_file import load_yaml
from luna.domain.datasets.pipeline import FileSource, LunaSource, Pipeline, Source, SyntheticSource
from luna.domain.datasets.records import RecordType
from luna.domain.errors import InvalidInput, TooLarge
from luna.domain.evaluation import parse_golden_set
from luna.ports.blobs import BlobStore
from luna.ports.energy import EnergyStore
from luna.ports.fetch import Fetcher
from luna.ports.sql import Database
from luna.services.datasets.normalise import to_canonical
from luna.services.datasets.synthetic import reading_frame, synthetic_frame
from luna.services.datasets.templated import template_pairs

Format = Literal["csv", "jsonl", "json", "parquet", "xlsx", "golden"]
_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
#: Meters read per query of the store's raw readings.
_MAX_METERS = 10_000


@dataclass(frozen=True, slots=True)
class SourceRead:
    """One source's records in canonical form and the lineage facts of what was read."""

    name: str
    address: str
    sha256: str
    frame: pl.DataFrame


@dataclass(frozen=True, slots=True)
class SourceAccess:
    """The ports a source may read through, and the limits that protect a run."""

    database: Database
    blobs: BlobStore
    energy: EnergyStore
    fetcher: Fetcher
    base_dir: Path
    max_bytes: int
    consent_default: bool


def read_source(
    source: Source, pipeline: Pipeline, access: SourceAccess, only: str | None = None
) -> SourceRead:
    """The source's records; for a file source ``only`` reads just that one file (a partition)."""
    if isinstance(source, LunaSource):
        return _read_luna(source, pipeline.record, access)
    if isinstance(source, SyntheticSource) and source.generator == "questions":
        raw = template_pairs(access.database, source.limit)
        address = f"synthetic:questions?limit={source.limit}"
        canonical = to_canonical(raw, pipeline.record, None, source.name)
        return SourceRead(source.name, address, _frame_hash(raw), canonical)
    if isinstance(source, SyntheticSource):
        raw = synthetic_frame(source.generator, source.days, source.meters, source.seed, datetime.now(UTC))
        address = f"synthetic:{source.generator}?days={source.days}&meters={source.meters}&seed={source.seed}"
        return SourceRead(
            source.name, address, _frame_hash(raw), to_canonical(raw, pipeline.record, None, source.name)
        )
    return _read_files(source, pipeline.record, access, only)


def partitions(source: Source, access: SourceAccess) -> list[str | None]:
    """What a partitioned run reads in separate jobs: each file of a file source, other sources whole."""
    if isinstance(source, FileSource):
        return list(file_names(source, access))
    return [None]


def file_names(source: FileSource, access: SourceAccess) -> list[str]:
    """The files a file source names: the URL, the blob keys under its prefix, or the matching paths."""
    if source.url:
        return [source.url]
    if source.blob:
        keys = access.blobs.list(source.blob)
        _require(keys or source.optional, source, f"no blob under {source.blob!r}")
        return keys
    pattern = Path(source.path or "")
    root = pattern if pattern.is_absolute() else access.base_dir / pattern
    paths = (
        sorted(Path(root.anchor).glob(str(root.relative_to(root.anchor))))
        if any(c in str(root) for c in "*?[")
        else [root]
    )
    found = [str(path) for path in paths if path.is_file()]
    _require(found or source.optional, source, f"no file at {source.path!r} (looked in {root})")
    return found


def _read_files(source: FileSource, record: RecordType, access: SourceAccess, only: str | None) -> SourceRead:
    frames: list[pl.DataFrame] = []
    digest = hashlib.sha256()
    for name in [only] if only is not None else file_names(source, access):
        data = _file_bytes(source, name, access)
        digest.update(hashlib.sha256(data).digest())
        frames.append(parse_file(data, Path(name).name, source.format, source.name, sheet=source.sheet))
    scheme = "url" if source.url else "blob" if source.blob else "file"
    whole = source.url or source.blob or source.path
    address = f"{scheme}:{only if only is not None else whole}"
    raw = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    return SourceRead(
        source.name, address, digest.hexdigest(), to_canonical(raw, record, source, source.name)
    )


def _file_bytes(source: FileSource, name: str, access: SourceAccess) -> bytes:
    if source.url:
        return _within(access.fetcher.fetch(name).data, source.name, access.max_bytes)
    if source.blob:
        return _within(access.blobs.get(name), source.name, access.max_bytes)
    path = Path(name)
    if path.stat().st_size > access.max_bytes:
        raise TooLarge(f"source {source.name!r}: {path.name} is larger than {access.max_bytes // 2**20} MB")
    return path.read_bytes()


def _require(condition: object, source: FileSource, message: str) -> None:
    if not condition:
        raise InvalidInput(f"source {source.name!r}: {message}")


def _within(data: bytes, name: str, max_bytes: int) -> bytes:
    if len(data) > max_bytes:
        raise TooLarge(f"source {name!r}: larger than {max_bytes // 2**20} MB")
    return data


def parse_file(
    data: bytes, name: str, declared: str, source_name: str, *, sheet: str | None = None
) -> pl.DataFrame:
    """A file's rows, every CSV column as text (numbers and dates are read by the normaliser)."""
    kind: Format = declared if declared != "auto" else _SUFFIXES.get(Path(name).suffix.lower(), "csv")  # type: ignore[assignment]
    if kind == "xlsx":
        return _excel(data, name, source_name, sheet)
    if kind == "golden":
        return _golden(data, name, source_name)
    try:
        if kind == "parquet":
            return pl.read_parquet(io.BytesIO(data))
        text = _decode(data)
        if kind == "jsonl":
            return pl.read_ndjson(io.StringIO(text), infer_schema_length=None)
        if kind == "json":
            rows = json.loads(text)
            if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
                raise InvalidInput(f"source {source_name!r}: {name} must hold a JSON list of objects")
            return pl.DataFrame(rows, infer_schema_length=None)
        return pl.read_csv(
            io.StringIO(text), separator=_delimiter(text), infer_schema=False, truncate_ragged_lines=False
        )
    except InvalidInput:
        raise
    except (pl.exceptions.PolarsError, json.JSONDecodeError, UnicodeError, OSError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise InvalidInput(
            f"source {source_name!r}: {name} cannot be read as {kind}: {first_line}"
        ) from error


def _excel(data: bytes, name: str, source_name: str, sheet: str | None) -> pl.DataFrame:
    """One sheet of an Excel workbook (the first unless named), read by calamine through fastexcel:
    cells keep their types (dates as dates), text cells are read by the normaliser like CSV text."""
    try:
        return pl.read_excel(io.BytesIO(data), engine="calamine", sheet_name=sheet)
    except Exception as error:  # calamine reports a broken workbook or a missing sheet in its own types
        first_line = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise InvalidInput(f"source {source_name!r}: {name} cannot be read as xlsx: {first_line}") from error


def _golden(data: bytes, name: str, source_name: str) -> pl.DataFrame:
    """A golden set (``luna eval``'s YAML) as Q/A pairs: the needles, the passages a right answer
    stands on, are the reference answer; unanswerable questions have none and are left out. The file may
    come from a URL, so anchors, aliases and deep nesting are refused (:func:`load_yaml`)."""
    try:
        questions = parse_golden_set(load_yaml(_decode(data)), name)
    except yaml.YAMLError as error:
        raise InvalidInput(f"source {source_name!r}: {name} is no YAML: {error}") from error
    rows = [
        {"question": q.question, "answer": " … ".join(q.needles), "document": q.document, "source": "golden"}
        for q in questions
        if q.answerable
    ]
    return pl.DataFrame(rows, schema=dict.fromkeys(("question", "answer", "document", "source"), pl.String))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM); else Windows-1252, which German exports from Excel still use."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        return ","


def _read_luna(source: LunaSource, record: RecordType, access: SourceAccess) -> SourceRead:
    since = datetime.now(UTC) - timedelta(days=source.days) if source.days else None
    readers: dict[str, Callable[[], pl.DataFrame]] = {
        "feedback": lambda: _feedback(access, since),
        "sessions": lambda: _sessions(access, since),
        "events": lambda: _events(access, since),
        "readings": lambda: _readings(access, since),
        "prices": lambda: _prices(access, since),
    }
    raw = readers[source.table]()
    digest = hashlib.sha256(raw.hash_rows().to_numpy().tobytes() if raw.height else b"").hexdigest()
    return SourceRead(
        source.name, f"luna:{source.table}", digest, to_canonical(raw, record, None, source.name)
    )


def _frame_hash(raw: pl.DataFrame) -> str:
    """What was read, for lineage: the same rows give the same hash in every run."""
    return hashlib.sha256(raw.hash_rows(seed=0).to_numpy().tobytes() if raw.height else b"").hexdigest()


def _feedback(access: SourceAccess, since: datetime | None) -> pl.DataFrame:
    """Answers an operator rated (with the admin key); the first cited passage becomes ``context`` and
    its item ``document`` (``item:<id>``), so a helpful answer can become a golden question that names
    where it stands.

    A customer's rating carries whatever answer text the client sent: 25 invented "useful" answers
    became a released fine-tuning set. Customers' ratings of Luna's own answers come in through the
    ``sessions`` table instead, placed on the turn whose answer Luna gave (and stored)."""
    rows: list[dict[str, object]] = []
    with access.database.unit_of_work(read_only=True) as uow:
        for batch in uow.feedback.for_learning(consent_default=access.consent_default):
            kept = [f for f in batch if f.user_id is None and (since is None or f.ts >= since)]
            cited = {
                c.chunk_id: c for c in uow.chunks.get_many([f.chunks_used[0] for f in kept if f.chunks_used])
            }
            for f in kept:
                chunk = cited.get(f.chunks_used[0]) if f.chunks_used else None
                rows.append(
                    {
                        "question": f.question,
                        "answer": f.answer,
                        "rating": 1.0 if f.useful else -1.0,
                        "context": chunk.text if chunk else None,
                        "document": f"item:{chunk.item_id}" if chunk else None,
                        **_FEEDBACK_CONSTANTS,
                    }
                )
    schema = {k: pl.Float64 if k == "rating" else pl.String for k in _FEEDBACK_COLUMNS}
    return pl.DataFrame(rows, schema=schema)


def _sessions(access: SourceAccess, since: datetime | None) -> pl.DataFrame:
    """The rated turns of the current revision of each stored session (consented, pseudonymised,
    redacted): an unrated turn says nothing about the answer's quality, so it is no learning material.
    The first cited passage becomes ``context`` and ``document`` as for feedback."""
    rows: list[dict[str, object]] = []
    start = since or datetime(1970, 1, 1, tzinfo=UTC)
    with access.database.unit_of_work(read_only=True) as uow:
        for session in uow.sessions.current_between(start, datetime.now(UTC) + timedelta(days=1)):
            cited_ids = [t.cited_chunk_ids[0] for t in session.turns if t.cited_chunk_ids]
            cited = {c.chunk_id: c for c in uow.chunks.get_many(cited_ids)}
            for turn in session.turns:
                if turn.rating is None:
                    continue
                chunk = cited.get(turn.cited_chunk_ids[0]) if turn.cited_chunk_ids else None
                rows.append(
                    {
                        "question": turn.question,
                        "answer": turn.answer,
                        "rating": float(turn.rating),
                        "context": chunk.text if chunk else None,
                        "document": f"item:{chunk.item_id}" if chunk else None,
                        **_FEEDBACK_CONSTANTS,
                        "source": f"session:{session.source}",
                        "topic": turn.topic,
                    }
                )
    schema = {k: pl.Float64 if k == "rating" else pl.String for k in (*_FEEDBACK_COLUMNS, "topic")}
    return pl.DataFrame(rows, schema=schema)


def _events(access: SourceAccess, since: datetime | None) -> pl.DataFrame:
    """Interaction events of users who consented to learning (``event`` records), without the
    recommender's own ``recommend`` bookkeeping."""
    rows: list[dict[str, object]] = []
    with access.database.unit_of_work(read_only=True) as uow:
        for batch in uow.events.for_learning(consent_default=access.consent_default):
            rows += [
                {
                    "user": e.user_id,
                    "item_id": e.item_id,
                    "type": str(e.type),
                    "ts": e.ts,
                    "chunk_id": e.chunk_id,
                }
                for e in batch
                if e.item_id and str(e.type) != "recommend" and (since is None or e.ts >= since)
            ]
    schema: dict[str, pl.DataType] = {c: pl.String() for c in ("user", "item_id", "type", "chunk_id")}
    schema["ts"] = pl.Datetime("us", "UTC")
    return pl.DataFrame(rows, schema=schema)


_FEEDBACK_CONSTANTS = {
    "source": "feedback",
    "owner": "luna",
    "classification": "internal",
    "consent": "yes",
    "language": "de",
}
_FEEDBACK_COLUMNS = (
    "question",
    "answer",
    "rating",
    "context",
    "document",
    "source",
    "owner",
    "classification",
    "consent",
    "language",
)


def _readings(access: SourceAccess, since: datetime | None) -> pl.DataFrame:
    frames = []
    for meter in access.energy.list_meters(limit=_MAX_METERS):
        if meter.first_ts is None or meter.last_ts is None:
            continue
        batch = access.energy.stored_readings(
            meter.meter_id, since or meter.first_ts, meter.last_ts + timedelta(seconds=1)
        )
        frames.append(reading_frame(batch, np.full(len(batch), meter.kind)))
    return pl.concat(frames) if frames else pl.DataFrame()


def _prices(access: SourceAccess, since: datetime | None) -> pl.DataFrame:
    frames = []
    for market, product, first, last, _ in access.energy.price_series():
        rows = access.energy.prices(
            market, product, since or first, last + timedelta(seconds=1), "raw", limit=10_000_000
        )
        table = {name: [row[i] for row in rows.rows] for i, name in enumerate(rows.columns)}
        frames.append(
            pl.DataFrame(
                {"ts": table["ts"], "price_eur_mwh": table["price_eur_mwh"], "volume": table["volume"]}
            ).with_columns(pl.lit(market).alias("market"), pl.lit(product).alias("product"))
        )
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
