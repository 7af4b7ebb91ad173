"""Storing, reusing and letting go of files. Services flush; the caller commits.

The rules:
- a blob is stored once per content (its SHA-256); a second upload of the same bytes
  points at the first blob and moves its `last_used_at` forward;
- a blob with no material file and no picture variant pointing at it is deleted at once
  when the last reference goes through these services, and otherwise by the orphan
  collector (`collect_orphans`), which deletes only blobs unused for
  FILES_ORPHAN_GRACE_HOURS. Its DELETE repeats the "no reference, not used lately" test in
  the statement itself, so a blob reused by an upload committing at that moment (which
  updated `last_used_at` under the row lock) is left alone;
- an S3 object is never deleted in the transaction that deletes its blob row (a rollback
  would leave a row pointing at nothing): objects without a row, whether their blob was
  deleted or their upload rolled back, are deleted by `collect_stray_objects` once older
  than the grace.
"""
from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from app.db import utcnow
from app.extensions import db
from app.files import images, storage
from app.files.models import Blob, BlobChunk, MaterialFile, Picture, PictureVariant
from app.files.validation import Kind, check_upload

READ_CHUNK = 1024 * 1024
OWNERS = ("event", "project", "speaker", "venue")


@dataclass(frozen=True)
class Upload:
    """An uploaded file as the services see it: a seekable stream, its size and given name."""

    stream: IO[bytes]
    filename: str
    size: int

    @classmethod
    def from_storage(cls, file: Any) -> Upload:
        """From werkzeug's FileStorage (spooled to disk by werkzeug beyond 500 KB)."""
        stream = file.stream
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        return cls(stream, file.filename or "", size)


def safe_filename(name: str, kind: Kind) -> str:
    """The name to offer on download: no directories, no control characters, accents
    kept, and the extension of what the file really is."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", name)[:200].strip(" .") or "file"
    return f"{stem}.{kind.extension}"


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    stream.seek(0)
    while chunk := stream.read(READ_CHUNK):
        yield chunk


def store_bytes(stream: IO[bytes], content_type: str) -> Blob:
    """The blob holding the bytes of `stream`: an existing one when the same bytes are
    already stored, else a new one written to the configured backend."""
    digest, size = hashlib.sha256(), 0
    for chunk in _chunks(stream):
        digest.update(chunk)
        size += len(chunk)
    sha = digest.hexdigest()
    now = utcnow()
    existing = db.session.scalar(sa.select(Blob).where(Blob.sha256 == sha))
    if existing is not None:
        existing.last_used_at = now
        db.session.flush()
        return existing
    store = storage.backend()
    blob = Blob(sha256=sha, size=size, content_type=content_type, backend=store.name,
                created_at=now, last_used_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(blob)
            db.session.flush()
    except sa.exc.IntegrityError:
        # Another request stored the same bytes a moment ago: use its blob.
        existing = db.session.scalar(sa.select(Blob).where(Blob.sha256 == sha))
        existing.last_used_at = now
        db.session.flush()
        return existing
    store.put(blob, _chunks(stream))
    return blob


def read_blob(blob: Blob) -> Iterator[bytes]:
    return storage.backend(blob.backend).read(blob)


def blob_bytes(blob: Blob) -> bytes:
    return b"".join(read_blob(blob))


def is_used(blob_id: int) -> bool:
    return bool(db.session.scalar(sa.select(
        sa.exists().where(MaterialFile.blob_id == blob_id)
        | sa.exists().where(PictureVariant.blob_id == blob_id)
    )))


def release(blob_ids: set[int]) -> int:
    """Delete the blobs among `blob_ids` that nothing points at any more; how many."""
    db.session.flush()
    deleted = 0
    for blob_id in sorted(blob_ids):
        blob = db.session.get(Blob, blob_id)
        if blob is not None and not is_used(blob_id):
            _delete_blob(blob)
            deleted += 1
    return deleted


def _delete_blob(blob: Blob) -> None:
    """The row goes now (its database chunks with it); an S3 object is left to the
    collector, so a transaction rolled back afterwards never points at missing bytes."""
    db.session.execute(sa.delete(BlobChunk).where(BlobChunk.blob_id == blob.id))
    db.session.delete(blob)
    db.session.flush()


# ---------------------------------------------------------------- materials


def material_file(material_id: int) -> MaterialFile | None:
    return db.session.get(MaterialFile, material_id)


def material_files(material_ids: list[int]) -> dict[int, MaterialFile]:
    """{material id: its file} for a page listing materials, in one query."""
    if not material_ids:
        return {}
    rows = db.session.scalars(sa.select(MaterialFile).where(MaterialFile.material_id.in_(material_ids)))
    return {row.material_id: row for row in rows}


def attach_material_file(material_id: int, upload: Upload) -> MaterialFile:
    """Give the material this file, replacing any earlier one (its address stays the same)."""
    kind = check_upload(upload.stream, upload.size, current_app.config["UPLOAD_MAX_MB"])
    blob = store_bytes(upload.stream, kind.mime)
    row = db.session.get(MaterialFile, material_id)
    old_blob = None
    if row is None:
        row = MaterialFile(material_id=material_id)
        db.session.add(row)
    else:
        old_blob = row.blob_id
    row.blob_id, row.kind, row.content_type = blob.id, kind.name, kind.mime
    row.filename, row.size, row.uploaded_at = safe_filename(upload.filename, kind), blob.size, utcnow()
    db.session.flush()
    if old_blob is not None and old_blob != blob.id:
        release({old_blob})
    return row


def detach_material_file(material_id: int) -> bool:
    """The material becomes a link again (or is about to go); its blob goes when unused."""
    row = db.session.get(MaterialFile, material_id)
    if row is None:
        return False
    blob_id = row.blob_id
    db.session.delete(row)
    db.session.flush()
    release({blob_id})
    return True


# ---------------------------------------------------------------- pictures


def _owner_column(owner: str):
    if owner not in OWNERS:
        raise ValueError(f"unknown picture owner {owner!r}")
    return getattr(Picture, f"{owner}_id")


def picture_of(owner: str, owner_id: int) -> Picture | None:
    return db.session.scalar(sa.select(Picture).where(_owner_column(owner) == owner_id))


def pictures_of(owner: str, owner_ids: list[int]) -> dict[int, Picture]:
    """{owner id: picture} for a list of cards, in two queries (pictures, their variants)."""
    if not owner_ids:
        return {}
    column = _owner_column(owner)
    rows = db.session.scalars(sa.select(Picture).where(column.in_(owner_ids)))
    return {getattr(p, f"{owner}_id"): p for p in rows}


def set_picture(owner: str, owner_id: int, upload: Upload, alt: str = "") -> Picture:
    """Re-encode the uploaded picture and make it the owner's, replacing any earlier one."""
    config = current_app.config
    check_upload(upload.stream, upload.size, config["UPLOAD_MAX_MB"], families=("image",),
                 field="picture")
    encoded = images.reencode(upload.stream, int(config["PICTURE_MAX_PIXELS"]))
    picture = picture_of(owner, owner_id)
    old_blobs: set[int] = set()
    if picture is None:
        picture = Picture(**{f"{owner}_id": owner_id})
        db.session.add(picture)
    else:
        old_blobs = {v.blob_id for v in picture.variants}
        picture.variants.clear()
        db.session.flush()
    picture.alt, picture.uploaded_at = alt[:300], utcnow()
    for item in encoded:
        blob = store_bytes(io.BytesIO(item.data), item.content_type)
        picture.variants.append(PictureVariant(size=item.size, format=item.format,
                                               width=item.width, height=item.height, blob=blob))
    db.session.flush()
    release(old_blobs - {v.blob_id for v in picture.variants})
    return picture


def remove_picture(owner: str, owner_id: int) -> bool:
    picture = picture_of(owner, owner_id)
    if picture is None:
        return False
    blobs = {v.blob_id for v in picture.variants}
    db.session.delete(picture)
    db.session.flush()
    release(blobs)
    return True


def picture_blob(sha256: str) -> tuple[Blob, PictureVariant] | None:
    """The blob of a picture variant by its hash (pictures are public once published)."""
    row = db.session.execute(
        sa.select(Blob, PictureVariant).join(PictureVariant, PictureVariant.blob_id == Blob.id)
        .where(Blob.sha256 == sha256).limit(1)
    ).first()
    return (row[0], row[1]) if row else None


# ---------------------------------------------------------------- housekeeping


def collect_orphans(now=None, limit: int = 500) -> int:
    """Delete blobs no record points at and nobody used within the grace; how many."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=float(current_app.config["FILES_ORPHAN_GRACE_HOURS"]))
    unreferenced = sa.and_(
        Blob.last_used_at < cutoff,
        ~sa.exists().where(MaterialFile.blob_id == Blob.id),
        ~sa.exists().where(PictureVariant.blob_id == Blob.id),
    )
    candidates = db.session.scalars(sa.select(Blob.id).where(unreferenced).limit(limit)).all()
    deleted = 0
    for blob_id in candidates:
        # The test again, in the DELETE itself: a blob reused meanwhile stays.
        gone = db.session.execute(
            sa.delete(Blob).where(Blob.id == blob_id, unreferenced).returning(Blob.id)
        ).first()
        if gone is None:
            continue
        db.session.execute(sa.delete(BlobChunk).where(BlobChunk.blob_id == blob_id))
        deleted += 1
    db.session.flush()
    return deleted


def collect_stray_objects(now=None) -> int:
    """Objects in the bucket with no blob row (deleted blobs, uploads rolled back), once
    older than the grace. Run after the blob deletions are committed."""
    if not current_app.config["STORAGE_S3_BUCKET"]:
        return 0
    now = now or utcnow()
    cutoff = now - timedelta(hours=float(current_app.config["FILES_ORPHAN_GRACE_HOURS"]))
    store = storage.backend("s3")
    deleted = 0
    for sha in store.keys_older_than(cutoff):
        known = db.session.scalar(sa.select(Blob.backend).where(Blob.sha256 == sha))
        if known != "s3":
            store.delete(Blob(sha256=sha, size=0, content_type="", backend="s3"))
            deleted += 1
    return deleted


def migrate_blobs(to: str, limit: int | None = None) -> Iterator[Blob]:
    """Copy each blob not yet in `to` there, then point its row at it and drop the old
    copy. The caller commits after each blob: until then readers use the old copy, after
    it the new one, so files stay downloadable throughout."""
    target = storage.backend(to)
    query = sa.select(Blob.id).where(Blob.backend != to).order_by(Blob.id)
    if limit:
        query = query.limit(limit)
    for blob_id in list(db.session.scalars(query)):
        blob = db.session.get(Blob, blob_id)
        source = storage.backend(blob.backend)
        if to == "database":
            db.session.execute(sa.delete(BlobChunk).where(BlobChunk.blob_id == blob.id))
        target.put(blob, source.read(blob))
        old = blob.backend
        blob.backend = to
        db.session.flush()
        if old == "database":
            storage.backend(old).delete(blob)
        yield blob
        if old != "database":
            # The database now holds the bytes; the object goes after the row says so.
            storage.backend(old).delete(Blob(sha256=blob.sha256, size=0, content_type="",
                                             backend=old))
