"""A cancelled folder ingest stops between files and says what it read; a cancel that comes after the
last file changes nothing (the job ended "cancelled" with no result while every document was indexed)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from luna.container import Container, build_container
from luna.settings import Settings
from luna.workers.knowledge import ingest_paths
from luna.workers.runner import JobCancelledError, JobContext


class CancelAfter:
    """A job context whose cancel shows from the ``checks``-th question on."""

    def __init__(self, checks: int) -> None:
        self.job_id, self.asked, self.checks = "job-1", 0, checks
        self.messages: list[str] = []

    def cancelled(self) -> bool:
        self.asked += 1
        return self.asked > self.checks

    def progress(self, fraction: float, message: str | None = None) -> None:
        self.messages.append(message or "")

    def raise_if_cancelled(self) -> None:
        if self.cancelled():
            raise JobCancelledError(self.job_id)


@pytest.fixture
def container(make_settings: Callable[..., Settings]) -> Iterator[Container]:
    c = build_container(make_settings())
    c.database.upgrade()
    yield c
    c.close()


def _folder(container: Container, files: int) -> str:
    folder = container.settings.data_dir / "import" / "merkblaetter"
    folder.mkdir(parents=True)
    for number in range(files):
        text = f"# Merkblatt {number}\n\nDer Netzentgelt-Anteil im Beispiel {number} beträgt 8,12 ct/kWh."
        (folder / f"merkblatt-{number}.md").write_text(text, encoding="utf-8")
    return str(folder)


def _indexed(container: Container) -> int:
    return container.services.corpus.items(limit=50)[1]


def test_a_cancel_between_files_stops_and_says_what_was_read(container: Container) -> None:
    ctx = CancelAfter(checks=1)  # the first file is read, the second is not started

    with pytest.raises(JobCancelledError):
        ingest_paths(container, cast(JobContext, ctx), [_folder(container, 2)])

    assert ctx.messages[-1].startswith("Abgebrochen nach 1 von 2 Dateien")
    assert _indexed(container) == 1


def test_a_cancel_after_the_last_file_ends_the_job_with_its_result(container: Container) -> None:
    ctx = CancelAfter(checks=1)  # asked before the only file: no; afterwards: yes

    result: dict[str, Any] = ingest_paths(container, cast(JobContext, ctx), [_folder(container, 1)])

    assert result["ingested"] == 1 and _indexed(container) == 1
