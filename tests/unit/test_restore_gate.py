"""The restore gate across processes: two gates on the same locks stand for two Luna processes (flock
belongs to the open file, so they exclude each other as processes do; the lock contract suite checks
that against real processes)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from luna.adapters.locks.file_locks import FileLocks
from luna.domain.errors import Conflict
from luna.services.knowledge.restore_gate import RestoreGate
from tests.gate_support import write_under_way


def two_processes(folder: Path, wait_seconds: float = 0.2) -> tuple[RestoreGate, RestoreGate]:
    return RestoreGate(wait_seconds, FileLocks(folder)), RestoreGate(wait_seconds, FileLocks(folder))


def test_no_process_writes_while_another_restores(tmp_path: Path) -> None:
    api, worker = two_processes(tmp_path)
    with api.restore(), pytest.raises(Conflict, match="snapshot is being restored"), worker.write():
        pass
    with worker.write():  # the restore is over: writes go through again
        pass


def test_a_restore_is_refused_while_another_process_keeps_writing(tmp_path: Path) -> None:
    api, worker = two_processes(tmp_path)
    with worker.write():
        started = time.monotonic()
        refusal = r"still being written by another Luna process after 0\.2 s"
        with pytest.raises(Conflict, match=refusal), api.restore():
            pass
        assert time.monotonic() - started >= 0.2  # it waited before it gave up
        with worker.write():  # the refused restore let go of everything
            pass
    with api.restore():
        pass


def test_a_restore_waits_for_another_process_to_finish_its_write(tmp_path: Path) -> None:
    api, worker = two_processes(tmp_path, wait_seconds=30)
    with write_under_way(worker) as finished, api.restore():
        assert finished.is_set()


def test_two_processes_never_restore_at_once(tmp_path: Path) -> None:
    api, worker = two_processes(tmp_path)
    with api.restore(), pytest.raises(Conflict, match="Another snapshot is being restored"), worker.restore():
        pass
    with worker.restore():
        pass


def test_new_writes_are_refused_while_a_restore_waits_for_running_ones(tmp_path: Path) -> None:
    """Else a stream of uploads in other processes could keep a restore waiting until it gives up."""
    api, worker = two_processes(tmp_path, wait_seconds=30)
    third = RestoreGate(30, FileLocks(tmp_path))
    writing, release, refused = threading.Event(), threading.Event(), []

    def write_until_released() -> None:
        with worker.write():
            writing.set()
            release.wait()

    def write_once_the_restore_waits() -> None:
        while not restore_waits(tmp_path):
            time.sleep(0.01)
        try:
            with third.write():
                pass
        except Conflict as error:
            refused.append(error)
        release.set()

    threads = [
        threading.Thread(target=write_until_released),
        threading.Thread(target=write_once_the_restore_waits),
    ]
    threads[0].start()
    writing.wait()
    threads[1].start()
    with api.restore():
        assert refused and "being restored" in refused[0].message
    for thread in threads:
        thread.join()


def restore_waits(folder: Path) -> bool:
    """Whether some gate holds ``kb-restore`` alone."""
    hold = FileLocks(folder).acquire("kb-restore", exclusive=False)
    if hold is None:
        return True
    hold.release()
    return False


def test_a_writers_moment_on_the_restore_lock_does_not_refuse_a_restore(tmp_path: Path) -> None:
    """A writer checks for a restore by taking kb-restore shared for a moment; a restore that tried
    just then was refused as "Another snapshot is being restored" (seen once in CI)."""
    api, _ = two_processes(tmp_path, wait_seconds=30)
    look = FileLocks(tmp_path).acquire("kb-restore", exclusive=False)
    assert look is not None
    threading.Timer(0.1, look.release).start()

    with api.restore():  # waits out the look instead of refusing
        assert restore_waits(tmp_path)
