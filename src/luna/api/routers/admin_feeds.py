"""``/api/v1/admin/feeds``: CSV drops of readings and prices, uploaded here or dropped in the blob store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile

from luna.api.deps import from_services
from luna.api.envelope import ok
from luna.api.openapi import error_response
from luna.api.routers.ingest import one_file
from luna.api.schemas.envelope import Envelope
from luna.api.schemas.feeds import FeedFileDetail, FeedFileOut, FeedFilePage
from luna.domain.blobs import MAX_KEY_CHARS, check_blob_key
from luna.services.energy.feeds import CsvFeeds, Drop

router = APIRouter(prefix="/feeds", tags=["admin"])

Feeds = Annotated[CsvFeeds, from_services(lambda s: s.csv_feeds)]
_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error_response(
        "The file name says neither smart_meter_readings*.csv nor market_prices*.csv, or the header is not "
        "the seed's (`data.details.expected`), or not one row could be imported (`data.details.problems`); "
        "nothing was stored"
    ),
    413: error_response("The file is larger than `feeds.csv_max_mb`; nothing was stored"),
}


@router.post(
    "/csv",
    status_code=201,
    summary="Upload a CSV drop and import it now",
    description="Multipart form with `file`, named `smart_meter_readings*.csv` or `market_prices*.csv`, "
    "in the seed's format (readings may add a `register_kwh` column). Good rows are stored even when "
    "others are refused; the answer is the import's report with the refused rows by line number. The "
    "file is kept under `feeds.csv_prefix` and never imported again. A file of which not one row "
    "could be imported is a 400 with the refused rows in `details.problems`, and nothing is kept.",
    responses=_UPLOAD_ERRORS,
    dependencies=[Depends(one_file)],
)
def upload_csv(
    feeds: Feeds,
    file: Annotated[UploadFile, File(description="smart_meter_readings*.csv or market_prices*.csv")],
) -> Envelope[FeedFileDetail]:
    data = file.file.read(feeds.max_bytes + 1)  # one byte more than allowed is enough to refuse it
    record = feeds.upload(file.filename, data)
    return ok(
        FeedFileDetail.from_drop(Drop(record.key, record)),
        f"Rows: {record.rows_ok} accepted, {record.rows_bad} refused.",
    )


@router.get("", summary="CSV drops and what their import did, newest uploads first")
def list_feeds(
    feeds: Feeds,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Envelope[FeedFilePage]:
    drops, total = feeds.drops(limit=limit, offset=offset)
    page = FeedFilePage(
        files=[FeedFileOut.from_drop(drop) for drop in drops], total=total, limit=limit, offset=offset
    )
    return ok(page, f"{len(drops)} of {total} CSV drops.")


@router.get(
    "/{key:path}",
    summary="One CSV drop with its report",
    responses={
        400: error_response("The key cannot name a blob (`..`, a leading `/`, a NUL byte, too long)"),
        404: error_response("No CSV drop with this key"),
    },
)
def get_feed(
    feeds: Feeds,
    key: Annotated[str, Path(max_length=MAX_KEY_CHARS, description="The drop's key, as the list shows it")],
) -> Envelope[FeedFileDetail]:
    return ok(FeedFileDetail.from_drop(feeds.drop(_drop_key(key))))


def _drop_key(key: str) -> str:
    """``key`` when it can name a blob on every backend (no ``..``, no NUL, names of at most 255 bytes)."""
    return check_blob_key(key)
