"""Where uploaded documents are kept: a directory on the server (default ``var/uploads``) or an
S3-compatible bucket. Objects are named by the SHA-256 of their content, written once and never
changed, so the same file uploaded twice is stored once and a stored hash vouches for the bytes.

boto3 is an optional extra (``pip install 'seagreen[s3]'``); it is imported only when the S3 store
is built. The store is chosen from settings by :func:`store_from_settings`.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any, Protocol

from seagreen.config import Settings

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}/[0-9a-f]{2}/[0-9a-f]{64}\Z")


class StoreError(Exception):
    """A document could not be written or read (a full disk, a missing object, a bad key)."""


def content_key(namespace: str, sha256: str) -> str:
    """``branches/ab/ab12…``: a key that names the content, in a namespace per capability."""
    key = f"{namespace}/{sha256[:2]}/{sha256}"
    if not KEY_PATTERN.match(key):
        raise StoreError(f"not a content key: {key!r}")
    return key


class DocumentStore(Protocol):
    """Put bytes under a content key, get them back."""

    def put(self, key: str, data: bytes, media_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...


class LocalStore:
    """A directory; each object is written to a temporary file, synced and renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not KEY_PATTERN.match(key):
            raise StoreError(f"not a content key: {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes, media_type: str) -> None:
        path = self._path(key)
        if path.exists() and path.stat().st_size == len(data):
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o640)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StoreError(f"no stored object {key}") from exc


class S3Store:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph, Alibaba OSS or Tencent COS in S3 mode).

    ``client`` is a boto3 S3 client, or anything with the same ``put_object`` / ``get_object``.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def put(self, key: str, data: bytes, media_type: str) -> None:
        if not KEY_PATTERN.match(key):
            raise StoreError(f"not a content key: {key!r}")
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data, ContentType=media_type)

    def get(self, key: str) -> bytes:
        if not KEY_PATTERN.match(key):
            raise StoreError(f"not a content key: {key!r}")
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as exc:  # botocore's NoSuchKey and friends; boto3 may not be installed
            raise StoreError(f"no stored object {key}: {exc}") from exc
        body: bytes = response["Body"].read()
        return body


def store_from_settings(settings: Settings) -> DocumentStore:
    if settings.storage_backend == "s3":
        if not settings.s3_bucket:
            raise StoreError("SEAGREEN_S3_BUCKET is required with SEAGREEN_STORAGE_BACKEND=s3")
        try:
            import boto3
        except ImportError as exc:
            raise StoreError("the S3 store needs boto3: pip install 'seagreen[s3]'") from exc
        client = boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region)
        return S3Store(client, settings.s3_bucket, settings.s3_prefix)
    return LocalStore(settings.upload_path)
