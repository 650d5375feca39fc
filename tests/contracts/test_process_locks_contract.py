"""Locks across processes (``ports/process_locks.py``): flock files and PostgreSQL advisory locks behave
alike, also against another process and when that process dies holding the lock."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from luna.adapters.locks.advisory_locks import AdvisoryLocks
from luna.adapters.locks.file_locks import FileLocks
from luna.ports.process_locks import ProcessLocks

#: Another process: takes a lock, says whether it has it, and holds it until it is killed.
HOLDER = """
import sys, time
from pathlib import Path
kind, where, name, mode = sys.argv[1:5]
if kind == "file":
    from luna.adapters.locks.file_locks import FileLocks
    locks = FileLocks(Path(where))
else:
    from luna.adapters.locks.advisory_locks import AdvisoryLocks
    locks = AdvisoryLocks(where)
print("held" if locks.acquire(name, exclusive=mode == "alone") else "refused", flush=True)
time.sleep(120)
"""


@pytest.fixture(params=["file", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """The adapter's kind and where its locks live (a folder, a database URL)."""
    if request.param == "file":
        return "file", str(tmp_path / "locks")
    return "postgresql", request.getfixturevalue("postgres_url")


@pytest.fixture
def locks(where: tuple[str, str]) -> Iterator[ProcessLocks]:
    kind, place = where
    if kind == "file":
        yield FileLocks(Path(place))
        return
    advisory = AdvisoryLocks(place)
    yield advisory
    advisory.close()


@pytest.fixture
def name() -> str:
    """A lock of the test's own: PostgreSQL's advisory locks are shared by every test on the database."""
    return f"t-{uuid.uuid4().hex[:12]}"


def test_shares_coexist_and_keep_out_a_holder_alone(locks: ProcessLocks, name: str) -> None:
    first, second = locks.acquire(name, exclusive=False), locks.acquire(name, exclusive=False)
    assert first is not None and second is not None
    assert locks.acquire(name, exclusive=True) is None
    first.release()
    assert locks.acquire(name, exclusive=True) is None  # one share is still held
    second.release()
    alone = locks.acquire(name, exclusive=True)
    assert alone is not None
    alone.release()


def test_a_holder_alone_keeps_out_everyone_until_released(locks: ProcessLocks, name: str) -> None:
    alone = locks.acquire(name, exclusive=True)
    assert alone is not None
    assert locks.acquire(name, exclusive=False) is None
    assert locks.acquire(name, exclusive=True) is None
    other = locks.acquire(f"{name}-other", exclusive=True)  # another name is another lock
    assert other is not None
    alone.release()
    alone.release()  # twice does nothing
    other.release()
    shared = locks.acquire(name, exclusive=False)
    assert shared is not None
    shared.release()


@pytest.mark.parametrize("bad", ["", "Kb", "../etc/passwd", "a b", "x" * 64, "1abc"])
def test_a_name_that_is_no_lock_name_is_refused(locks: ProcessLocks, bad: str) -> None:
    with pytest.raises(ValueError, match="lock names are"):
        locks.acquire(bad, exclusive=False)


def test_another_process_holding_the_lock_keeps_it_until_it_dies(
    locks: ProcessLocks, where: tuple[str, str], name: str
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, *where, name, "shared"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert locks.acquire(name, exclusive=True) is None
        shared = locks.acquire(name, exclusive=False)
        assert shared is not None  # a share beside the other process's share
        shared.release()
    finally:
        holder.kill()
        holder.wait()
    assert _taken_alone_soon(locks, name), "a process that died still holds its lock"


def test_this_process_holding_the_lock_alone_refuses_another_process(
    locks: ProcessLocks, where: tuple[str, str], name: str
) -> None:
    alone = locks.acquire(name, exclusive=True)
    assert alone is not None
    refused = subprocess.run(
        [sys.executable, "-c", HOLDER.replace("time.sleep(120)", ""), *where, name, "shared"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    alone.release()
    assert refused.stdout.strip() == "refused"


def _taken_alone_soon(locks: ProcessLocks, name: str) -> bool:
    """Whether the lock can be had alone within 10 s (the server notices a dead connection at once, but
    not in the same instant)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        hold = locks.acquire(name, exclusive=True)
        if hold is not None:
            hold.release()
            return True
        time.sleep(0.05)
    return False
