"""Blob store on any S3 API (MinIO, Ceph, AWS) through boto3 with path-style addressing.

Keys follow the same rules as the filesystem store (:func:`check_blob_key`), so data moves between
the two without renaming. The bucket is created on first use when it does not exist.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from luna.domain.blobs import check_blob_key, check_blob_prefix
from luna.domain.errors import NotFound, Unavailable
from luna.domain.health import ComponentHealth, HealthStatus

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef

_MISSING = {"404", "NoSuchKey", "NoSuchBucket", "NotFound"}
_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    """Network and server failures become Unavailable; the caller handles "not found" itself."""
    try:
        yield
    except ClientError as exc:
        raise Unavailable(f"S3 refused {what}: {_code(exc)} {exc}") from exc
    except BotoCoreError as exc:
        raise Unavailable(f"S3 is not reachable for {what}: {exc}") from exc


class S3BlobStore:
    """:class:`~luna.ports.blobs.BlobStore` on an S3 bucket."""

    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        region: str,
        access_key: str | None,
        secret_key: str | None,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._bucket = bucket
        self._region = region
        self._client = self._make_client(
            Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}),
            access_key,
            secret_key,
        )
        # Health must answer quickly even when the endpoint hangs: its own client, short timeouts, no retry.
        self._health_client = self._make_client(
            Config(connect_timeout=3, read_timeout=3, retries={"total_max_attempts": 1}),
            access_key,
            secret_key,
        )
        self._bucket_ready = False
        self._bucket_lock = threading.Lock()

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """One PUT: S3 makes the new object visible only once it is complete."""
        check_blob_key(key)
        self._ensure_bucket()
        with _s3_errors(f"writing {key!r}"):
            self._client.put_object(Bucket=self._bucket, Key=key, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        check_blob_key(key)
        self._ensure_bucket()
        with _s3_errors(f"reading {key!r}"):
            try:
                return self._client.get_object(Bucket=self._bucket, Key=key)["Body"].read()
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    raise NotFound(f"blob {key!r} does not exist") from None
                raise

    def exists(self, key: str) -> bool:
        check_blob_key(key)
        self._ensure_bucket()
        with _s3_errors(f"checking {key!r}"):
            try:
                self._client.head_object(Bucket=self._bucket, Key=key)
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    return False
                raise
        return True

    def delete(self, key: str) -> None:
        check_blob_key(key)
        self._ensure_bucket()
        with _s3_errors(f"deleting {key!r}"):
            self._client.delete_object(Bucket=self._bucket, Key=key)

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(prefix)
        with _s3_errors(f"deleting under {prefix!r}"):
            for start in range(0, len(keys), _DELETE_BATCH):
                batch: list[ObjectIdentifierTypeDef] = [
                    {"Key": key} for key in keys[start : start + _DELETE_BATCH]
                ]
                self._client.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
        return len(keys)

    def remove_empty_folders(self, prefix: str) -> int:
        check_blob_prefix(prefix)
        return 0  # S3 has no folders: a prefix exists only while a key has it

    def list(self, prefix: str = "") -> list[str]:
        check_blob_prefix(prefix)
        self._ensure_bucket()
        keys: list[str] = []
        with _s3_errors(f"listing {prefix!r}"):
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._bucket, Prefix=prefix
            ):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def health(self) -> ComponentHealth:
        where = f"{self._endpoint_url} bucket {self._bucket}"
        started = time.perf_counter()
        try:
            self._health_client.head_bucket(Bucket=self._bucket)
            detail = where
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                return ComponentHealth("blobs", HealthStatus.DOWN, "s3", detail=f"{where}: {_code(exc)}")
            detail = f"{where} (created on first write)"
        except Exception as exc:  # health never raises: it reports
            return ComponentHealth("blobs", HealthStatus.DOWN, "s3", detail=f"{where}: {exc}")
        return ComponentHealth(
            "blobs", HealthStatus.UP, "s3", latency_ms=(time.perf_counter() - started) * 1000, detail=detail
        )

    def _make_client(self, config: Config, access_key: str | None, secret_key: str | None) -> S3Client:
        return boto3.client(
            "s3",
            endpoint_url=self._endpoint_url,
            region_name=self._region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config.merge(Config(s3={"addressing_style": "path"})),
        )

    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        with self._bucket_lock, _s3_errors(f"preparing bucket {self._bucket!r}"):
            if self._bucket_ready:
                return
            try:
                self._client.head_bucket(Bucket=self._bucket)
            except ClientError as exc:
                if _code(exc) not in _MISSING:
                    raise
                self._create_bucket()
            self._bucket_ready = True

    def _create_bucket(self) -> None:
        try:
            if self._region == "us-east-1":  # the one region S3 refuses as an explicit location
                self._client.create_bucket(Bucket=self._bucket)
            else:
                self._client.create_bucket(
                    Bucket=self._bucket,
                    CreateBucketConfiguration={"LocationConstraint": self._region},  # type: ignore[typeddict-item]
                )
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise
