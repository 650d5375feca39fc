"""The shared check of paths a job reads: a path not inside the folders gets one refusal, however it fails.

A symlink loop outside the folders was "not a usable path" while a missing path was "outside", and
``~nosuchuser/x`` was "not usable" while ``~root/x`` was "outside", so a caller learnt what lay where on
the worker's disk and which accounts it has.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from luna.domain.errors import InvalidInput
from luna.services.operations.job_paths import ReadableFolders


def refusal(folders: ReadableFolders, raw: object) -> str:
    with pytest.raises(InvalidInput) as refused:
        folders.resolve("sets", raw)
    return refused.value.message


@pytest.fixture
def folders(tmp_path: Path) -> ReadableFolders:
    (tmp_path / "allowed").mkdir()
    return ReadableFolders.of([tmp_path / "allowed"], "the test folders", "readable")


def test_a_path_that_cannot_be_resolved_is_refused_as_outside_like_a_missing_one(
    folders: ReadableFolders, tmp_path: Path
) -> None:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    (tmp_path / "allowed" / "self").symlink_to(tmp_path / "allowed" / "self")

    loop = refusal(folders, str(tmp_path / "loop1" / "x.yaml"))
    missing = refusal(folders, str(tmp_path / "nope1" / "x.yaml"))
    inside_loop = refusal(folders, str(tmp_path / "allowed" / "self" / "x.yaml"))

    assert "is outside the test folders" in loop
    assert loop.replace("loop1", "nope1") == missing
    assert "is outside the test folders" in inside_loop


def test_a_tilde_path_is_refused_from_its_text_whether_the_account_exists_or_not(
    folders: ReadableFolders,
) -> None:
    known, unknown, own = (refusal(folders, raw) for raw in ("~root/x", "~nosuchuser123/x", "~/x"))

    assert known.replace("~root", "~nosuchuser123") == unknown
    assert "starts with ~; give the full path" in known and "starts with ~" in own


@pytest.mark.parametrize("raw", ["/etc/passwd\x00", "/tmp/\ud800"])
def test_only_what_the_text_shows_is_not_a_usable_path(folders: ReadableFolders, raw: str) -> None:
    assert "is not a usable path" in refusal(folders, raw)


def test_a_file_entry_allows_that_file_alone_even_where_it_is_a_folder(tmp_path: Path) -> None:
    """``flywheel.evaluation_sets`` name files; were one a folder, nothing below it would open."""
    (tmp_path / "golden.yaml").write_text("[]", encoding="utf-8")
    (tmp_path / "sets.yaml").mkdir()
    (tmp_path / "sets.yaml" / "secret.yaml").write_text("[]", encoding="utf-8")
    folders = ReadableFolders.of([], "the test folders", "readable", files=[tmp_path / "golden.yaml"])
    folder_entry = ReadableFolders.of([], "the test folders", "readable", files=[tmp_path / "sets.yaml"])

    assert folders.resolve("sets", str(tmp_path / "golden.yaml")) == (tmp_path / "golden.yaml").resolve()
    assert "is outside" in refusal(folders, str(tmp_path / "beside.yaml"))
    assert "is outside" in refusal(folder_entry, str(tmp_path / "sets.yaml" / "secret.yaml"))
