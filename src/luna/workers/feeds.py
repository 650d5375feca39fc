"""Jobs of the real feeds: importing the CSV drops the worker finds in the blob store."""

from __future__ import annotations

from typing import Any

from luna.container import Container
from luna.workers.registry import register
from luna.workers.runner import CSV_SCAN_JOB, JobContext

#: Keys named in a scan's result; the counts cover them all.
LISTED_KEYS = 100


@register(CSV_SCAN_JOB)
def scan_csv(container: Container, ctx: JobContext) -> dict[str, Any]:
    """Import every CSV drop under ``feeds.csv_prefix`` that was not imported before.

    Queued by the worker every ``feeds.csv_scan_sec``; a cancel stops it between two files (each file
    is recorded when it is done, so the next scan goes on where this one stopped).
    """
    ctx.progress(0.0, "CSV-Ablagen werden gesucht")
    records = container.services.csv_feeds.scan(should_stop=ctx.cancelled, progress=ctx.progress)
    imported = [record for record in records if record.status == "imported"]
    return {
        "files": len(records),
        "imported": len(imported),
        "failed": len(records) - len(imported),
        "rows_ok": sum(record.rows_ok for record in records),
        "rows_bad": sum(record.rows_bad for record in records),
        "keys": [record.key for record in records[:LISTED_KEYS]],
    }
