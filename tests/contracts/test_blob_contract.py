"""One behaviour suite for every BlobStore: the data-dir folder and S3 (a real moto server process).

Uploads, snapshots and item deletion rely on these behaviours whichever backend the settings pick.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from luna.adapters.blobs.filesystem import TEMP_PREFIX, FilesystemBlobStore
from luna.adapters.blobs.s3 import S3BlobStore
from luna.domain.errors import Conflict, InvalidInput, NotFound
from luna.domain.health import HealthStatus
from luna.ports.blobs import BlobStore
from tests.contracts.s3_support import free_port, moto_server

HOSTILE_KEYS = [
    "",
    "../etc/passwd",
    "docs/../../x",
    "/etc/passwd",
    "docs\\raw\\a.pdf",
    "docs//a.pdf",
    "docs/",
    "./a",
    "docs/" + "n" * 256,  # a name no file system takes
    "/".join(["docs"] * 206),  # longer than S3's 1,024-byte keys
]
PDF = bytes(range(256)) * 4


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


def s3_store(endpoint: str, bucket: str) -> S3BlobStore:
    return S3BlobStore(
        endpoint_url=endpoint, bucket=bucket, region="us-east-1", access_key="test", secret_key="test"
    )


@pytest.fixture(params=["filesystem", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "filesystem":
        return FilesystemBlobStore(tmp_path / "blobs")
    endpoint: str = request.getfixturevalue("s3_endpoint")
    return s3_store(endpoint, f"luna-{uuid.uuid4().hex[:12]}")


def test_put_then_get_returns_the_same_bytes(store: BlobStore) -> None:
    store.put("docs/raw/Größe.pdf", PDF, "application/pdf")
    assert store.get("docs/raw/Größe.pdf") == PDF
    assert store.exists("docs/raw/Größe.pdf")
    assert not store.exists("docs/raw/Grosse.pdf")


def test_put_overwrites(store: BlobStore) -> None:
    store.put("docs/a.txt", b"alt")
    store.put("docs/a.txt", "neu: Überschuss".encode())
    assert store.get("docs/a.txt") == "neu: Überschuss".encode()
    assert store.list() == ["docs/a.txt"]


def test_empty_blob_round_trips(store: BlobStore) -> None:
    store.put("empty", b"")
    assert store.get("empty") == b""


def test_get_of_a_missing_key_is_not_found(store: BlobStore) -> None:
    with pytest.raises(NotFound):
        store.get("docs/raw/fehlt.pdf")


def test_delete_removes_and_tolerates_missing_keys(store: BlobStore) -> None:
    store.put("docs/a.txt", b"a")
    store.delete("docs/a.txt")
    store.delete("docs/a.txt")
    store.delete("never/was.txt")
    assert not store.exists("docs/a.txt")
    assert store.list() == []


def test_list_is_sorted_and_filtered_by_prefix(store: BlobStore) -> None:
    for key in [
        "docs/raw/Zähler.csv",
        "docs/raw/Abrechnung.pdf",
        "docs/text/Abrechnung.md",
        "snapshots/1.tar",
    ]:
        store.put(key, b"x")
    assert store.list() == [
        "docs/raw/Abrechnung.pdf",
        "docs/raw/Zähler.csv",
        "docs/text/Abrechnung.md",
        "snapshots/1.tar",
    ]
    assert store.list("docs/raw/") == ["docs/raw/Abrechnung.pdf", "docs/raw/Zähler.csv"]
    assert store.list("docs/raw/Z") == ["docs/raw/Zähler.csv"]
    assert store.list("docs/t") == ["docs/text/Abrechnung.md"]
    assert store.list("nothing/") == []


def test_delete_prefix_removes_only_that_prefix(store: BlobStore) -> None:
    for key in ["items/1/raw.pdf", "items/1/text.md", "items/10/raw.pdf", "items/2/raw.pdf"]:
        store.put(key, b"x")
    assert store.delete_prefix("items/1/") == 2
    assert store.list() == ["items/10/raw.pdf", "items/2/raw.pdf"]
    assert store.delete_prefix("items/1/") == 0


def test_emptied_folders_can_be_removed_and_written_into_again(store: BlobStore) -> None:
    store.put("docs/raw/a/v1.md", b"a")
    store.put("docs/raw/b/v1.md", b"b")
    store.delete_prefix("docs/raw/a/")

    store.remove_empty_folders("docs/")

    assert store.list("docs/") == ["docs/raw/b/v1.md"]
    store.put("docs/raw/a/v2.md", b"again")
    assert store.get("docs/raw/a/v2.md") == b"again"


def test_filesystem_removes_exactly_the_empty_folders(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    store.put("docs/raw/a/v1.md", b"a")
    store.put("docs/raw/b/v1.md", b"b")
    store.delete_prefix("docs/raw/a/")

    assert store.remove_empty_folders("docs/") == 1
    assert not (tmp_path / "blobs" / "docs" / "raw" / "a").exists()
    assert (tmp_path / "blobs" / "docs" / "raw" / "b").is_dir()


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_hostile_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(InvalidInput):
        store.put(key, b"x")
    with pytest.raises(InvalidInput):
        store.get(key)
    with pytest.raises(InvalidInput):
        store.exists(key)
    with pytest.raises(InvalidInput):
        store.delete(key)


@pytest.mark.parametrize("prefix", ["../", "/etc", "a//", "a\\"])
def test_hostile_prefixes_are_refused(store: BlobStore, prefix: str) -> None:
    with pytest.raises(InvalidInput):
        store.list(prefix)
    with pytest.raises(InvalidInput):
        store.delete_prefix(prefix)


def test_health_is_up(store: BlobStore) -> None:
    health = store.health()
    assert health.status is HealthStatus.UP
    assert health.backend in ("filesystem", "s3")
    assert health.latency_ms is not None


# -- backend specifics --------------------------------------------------------------------------------


def test_s3_health_is_down_quickly_when_nothing_listens() -> None:
    store = s3_store(f"http://127.0.0.1:{free_port()}", "luna")
    started = time.monotonic()
    health = store.health()
    assert health.status is HealthStatus.DOWN
    assert health.detail and "127.0.0.1" in health.detail
    assert time.monotonic() - started < 10


def test_s3_store_creates_its_bucket_once_for_many_stores(s3_endpoint: str) -> None:
    bucket = f"luna-{uuid.uuid4().hex[:12]}"
    s3_store(s3_endpoint, bucket).put("a", b"1")
    assert s3_store(s3_endpoint, bucket).get("a") == b"1"


def test_filesystem_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    store.put("docs/raw/Größe.pdf", PDF)
    store.put("docs/raw/Größe.pdf", PDF[:10])
    assert [p.name for p in (tmp_path / "blobs" / "docs" / "raw").iterdir()] == ["Größe.pdf"]
    assert not any(p.name.startswith(TEMP_PREFIX) for p in (tmp_path / "blobs").rglob("*"))


def test_filesystem_refuses_a_symlink_that_leads_outside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("geheim")
    store = FilesystemBlobStore(tmp_path / "blobs")
    (tmp_path / "blobs" / "link").symlink_to(outside)
    with pytest.raises(InvalidInput):
        store.get("link/secret.txt")


def test_filesystem_key_cannot_be_both_file_and_folder(tmp_path: Path) -> None:
    store = FilesystemBlobStore(tmp_path / "blobs")
    store.put("docs/a", b"file")
    with pytest.raises(Conflict):
        store.put("docs/a/b", b"nested")
    assert store.list() == ["docs/a"]
