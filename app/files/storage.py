"""Where a blob's bytes live: the database (default) or an S3-compatible store.

Both backends take bytes in chunks and give them back in chunks, so a large file is never
held whole in memory. Each blob row names its backend, so reading never depends on the
current setting: `flask storage migrate` copies blobs to the other store and flips that
name one blob at a time while both keep serving.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from app.downloads import content_disposition
from app.extensions import db
from app.files.models import Blob, BlobChunk

BACKENDS = ("database", "s3")


class Storage(Protocol):
    name: str

    def put(self, blob: Blob, chunks: Iterable[bytes]) -> None: ...
    def read(self, blob: Blob) -> Iterator[bytes]: ...
    def delete(self, blob: Blob) -> None: ...


class DatabaseStorage:
    """Bytes as numbered rows of blob_chunks: works the same on SQLite and PostgreSQL,
    and every host sees every file."""

    name = "database"

    def put(self, blob: Blob, chunks: Iterable[bytes]) -> None:
        size = int(current_app.config["STORAGE_DB_CHUNK_KB"]) * 1024
        seq, pending = 0, b""
        for chunk in chunks:
            pending += chunk
            while len(pending) >= size:
                db.session.add(BlobChunk(blob_id=blob.id, seq=seq, data=pending[:size]))
                db.session.flush()
                seq, pending = seq + 1, pending[size:]
        if pending or seq == 0:
            db.session.add(BlobChunk(blob_id=blob.id, seq=seq, data=pending))
        db.session.flush()

    def read(self, blob: Blob) -> Iterator[bytes]:
        """One chunk per query: memory stays at one chunk whatever the file's size."""
        blob_id, seq = blob.id, 0
        connection = db.session.connection()
        if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
            yield from self._read_binary(connection, blob_id)
            return
        while True:
            data = db.session.execute(
                sa.select(BlobChunk.data).where(BlobChunk.blob_id == blob_id, BlobChunk.seq == seq)
            ).scalar()
            if data is None:
                return
            yield bytes(data)
            seq += 1

    @staticmethod
    def _read_binary(connection, blob_id: int) -> Iterator[bytes]:
        """PostgreSQL: the chunks in psycopg's binary format. In the default text format
        each bytea arrives hex-encoded, and decoding it cost three quarters of a download
        (bench/files.py: ~120 MB/s against ~460 MB/s binary on the 2-core machine)."""
        driver = connection.connection.driver_connection
        seq = 0
        while True:
            with driver.cursor(binary=True) as cursor:
                cursor.execute("SELECT data FROM blob_chunks WHERE blob_id = %s AND seq = %s",
                               (blob_id, seq))
                row = cursor.fetchone()
            if row is None:
                return
            yield bytes(row[0])
            seq += 1

    def delete(self, blob: Blob) -> None:
        db.session.execute(sa.delete(BlobChunk).where(BlobChunk.blob_id == blob.id))


class S3Storage:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph RGW): one object per blob, named by
    its hash, so two hosts writing the same file write the same object."""

    name = "s3"

    def __init__(self, config) -> None:
        # Imported here, not at the top: a site on the database backend never pays for boto3.
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config as BotoConfig

        self.transfer = TransferConfig(use_threads=False)

        self.bucket = config["STORAGE_S3_BUCKET"]
        self.prefix = config["STORAGE_S3_PREFIX"]
        self.client = boto3.client(
            "s3",
            endpoint_url=config["STORAGE_S3_ENDPOINT"] or None,
            region_name=config["STORAGE_S3_REGION"] or None,
            aws_access_key_id=config["STORAGE_S3_ACCESS_KEY"] or None,
            aws_secret_access_key=config["STORAGE_S3_SECRET_KEY"] or None,
            config=BotoConfig(signature_version="s3v4",
                              s3={"addressing_style": config["STORAGE_S3_ADDRESSING"]}),
        )

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def put(self, blob: Blob, chunks: Iterable[bytes]) -> None:
        # In this thread: the chunks may come from the database session, which is not
        # for boto3's worker threads.
        self.client.upload_fileobj(_ChunkReader(chunks), self.bucket, self.key(blob.sha256),
                                   ExtraArgs={"ContentType": blob.content_type},
                                   Config=self.transfer)

    def read(self, blob: Blob) -> Iterator[bytes]:
        body = self.client.get_object(Bucket=self.bucket, Key=self.key(blob.sha256))["Body"]
        try:
            yield from body.iter_chunks(chunk_size=256 * 1024)
        finally:
            body.close()

    def delete(self, blob: Blob) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(blob.sha256))

    def signed_url(self, blob: Blob, *, filename: str, disposition: str, seconds: int) -> str:
        """A short-lived address the client downloads from directly, with our headers."""
        return self.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.key(blob.sha256),
                    "ResponseContentType": blob.content_type,
                    "ResponseContentDisposition": content_disposition(disposition, filename)},
            ExpiresIn=seconds,
        )

    def keys_older_than(self, moment: datetime) -> Iterator[str]:
        """Hashes of the objects under our prefix last written before `moment`."""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                if item["LastModified"] < moment:
                    yield item["Key"][len(self.prefix):]


class _ChunkReader:
    """A file-like view of an iterator of chunks, for boto3's multipart upload."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._pending) < size:
            try:
                self._pending += next(self._chunks)
            except StopIteration:
                break
        if size < 0:
            out, self._pending = self._pending, b""
        else:
            out, self._pending = self._pending[:size], self._pending[size:]
        return out


_s3_clients: dict[tuple, S3Storage] = {}


def backend(name: str | None = None) -> DatabaseStorage | S3Storage:
    """The backend called `name` (default: STORAGE_BACKEND); the S3 client is made once
    per process and settings."""
    config = current_app.config
    name = name or config["STORAGE_BACKEND"]
    if name == "database":
        return DatabaseStorage()
    if name == "s3":
        cache_key = tuple(config[k] for k in (
            "STORAGE_S3_ENDPOINT", "STORAGE_S3_BUCKET", "STORAGE_S3_REGION",
            "STORAGE_S3_ACCESS_KEY", "STORAGE_S3_SECRET_KEY", "STORAGE_S3_PREFIX",
            "STORAGE_S3_ADDRESSING"))
        if cache_key not in _s3_clients:
            _s3_clients[cache_key] = S3Storage(config)
        return _s3_clients[cache_key]
    raise ValueError(f"unknown STORAGE_BACKEND {name!r}; use one of {BACKENDS}")
