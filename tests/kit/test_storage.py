"""Document stores: a directory, and an S3-compatible bucket (through a stand-in for boto3's client)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import stat

import pytest

from seagreen.config import Settings
from seagreen.kit.storage import LocalStore, S3Store, StoreError, content_key, store_from_settings


def _key(data: bytes) -> str:
    return content_key("branches", hashlib.sha256(data).hexdigest())


def test_a_local_store_writes_once_and_reads_back(tmp_path):
    store = LocalStore(tmp_path / "uploads")
    key = _key(b"%PDF-1")
    store.put(key, b"%PDF-1", "application/pdf")
    store.put(key, b"%PDF-1", "application/pdf")
    path = tmp_path / "uploads" / key
    assert store.get(key) == b"%PDF-1" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    with pytest.raises(StoreError):
        store.get(_key(b"absent"))


@pytest.mark.parametrize("key", ["../../etc/passwd", "branches/ab/" + "g" * 64, "/abs/ab/" + "a" * 64])
def test_keys_that_are_not_content_keys_are_refused(tmp_path, key):
    with pytest.raises(StoreError):
        LocalStore(tmp_path).get(key)
    with pytest.raises(StoreError):
        S3Store(FakeS3(), "bucket").put(key, b"x", "text/plain")


class FakeS3:
    """What SeaGreen uses of boto3's S3 client: put_object and get_object."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> dict:
        self.objects[(Bucket, Key)] = (Body, ContentType)
        return {}

    def get_object(self, *, Bucket: str, Key: str) -> dict:
        if (Bucket, Key) not in self.objects:
            raise KeyError(f"NoSuchKey: {Key}")
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)][0])}


def test_an_s3_store_puts_under_its_prefix_and_gets_back():
    client = FakeS3()
    store = S3Store(client, "seagreen-docs", "weihai/")
    key = _key(b"data")
    store.put(key, b"data", "application/pdf")
    assert client.objects[("seagreen-docs", "weihai/" + key)] == (b"data", "application/pdf")
    assert store.get(key) == b"data"
    with pytest.raises(StoreError, match="no stored object"):
        store.get(_key(b"other"))


def test_the_store_comes_from_settings(tmp_path):
    assert isinstance(store_from_settings(Settings(upload_dir=tmp_path)), LocalStore)
    with pytest.raises(StoreError, match="SEAGREEN_S3_BUCKET"):
        store_from_settings(Settings(storage_backend="s3"))


def test_the_s3_store_without_boto3_says_how_to_get_it():
    if importlib.util.find_spec("boto3") is not None:
        pytest.skip("boto3 is installed here")
    with pytest.raises(StoreError, match=r"seagreen\[s3\]"):
        store_from_settings(Settings(storage_backend="s3", s3_bucket="docs"))
