"""Stored bytes (blobs, content-addressed) and the records that point at them: a
material's file and the pictures of events, projects, speakers and venues.

A blob is known by the SHA-256 of its bytes: the same file uploaded twice is stored
once. `backend` says where its bytes live (`database`: rows of blob_chunks; `s3`: an
object named by the hash), so files can move between stores while they are served.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from app.db import utcnow
from app.extensions import db


class Blob(db.Model):
    __tablename__ = "blobs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(100))
    backend: so.Mapped[str] = so.mapped_column(sa.String(20), default="database")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # Moved forward whenever a new reference reuses the blob: the orphan collector only
    # deletes blobs unused for a while, and its DELETE re-checks this under the row lock.
    last_used_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<Blob {self.sha256[:12]} {self.size}B {self.backend}>"


class BlobChunk(db.Model):
    """A slice of a blob's bytes kept in the database, read back one at a time."""

    __tablename__ = "blob_chunks"

    blob_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("blobs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    data: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)


class MaterialFile(db.Model):
    """The file of a material (slides, programme, document); a material without one is a link."""

    __tablename__ = "material_files"

    material_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True
    )
    blob_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("blobs.id"), index=True)
    # The name the organiser's file had, shown and offered on download (never a path).
    filename: so.Mapped[str] = so.mapped_column(sa.String(255))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))  # pdf, pptx, docx, png, zip...
    content_type: so.Mapped[str] = so.mapped_column(sa.String(100))
    size: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    uploaded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    blob: so.Mapped[Blob] = so.relationship(lazy="joined")


class Picture(db.Model):
    """An event's cover, a project's logo, a speaker's or a venue's photo: exactly one owner."""

    __tablename__ = "pictures"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    project_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("projects.id", ondelete="CASCADE"), unique=True
    )
    speaker_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("speakers.id", ondelete="CASCADE"), unique=True
    )
    venue_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("venues.id", ondelete="CASCADE"), unique=True
    )
    # Text for people who cannot see the picture.
    alt: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    uploaded_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    variants: so.Mapped[list[PictureVariant]] = so.relationship(
        back_populates="picture", cascade="all, delete-orphan", lazy="selectin",
        order_by="(PictureVariant.width, PictureVariant.format)",
    )

    def variant(self, size: str, fmt: str = "jpeg") -> PictureVariant | None:
        return next((v for v in self.variants if v.size == size and v.format == fmt), None)


class PictureVariant(db.Model):
    """One re-encoded size of a picture in one format (WebP or JPEG), its box known."""

    __tablename__ = "picture_variants"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    picture_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("pictures.id", ondelete="CASCADE"), index=True
    )
    size: so.Mapped[str] = so.mapped_column(sa.String(10))  # card, page
    format: so.Mapped[str] = so.mapped_column(sa.String(10))  # webp, jpeg
    width: so.Mapped[int]
    height: so.Mapped[int]
    blob_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("blobs.id"), index=True)

    picture: so.Mapped[Picture] = so.relationship(back_populates="variants")
    blob: so.Mapped[Blob] = so.relationship(lazy="joined")

    __table_args__ = (sa.UniqueConstraint("picture_id", "size", "format",
                                          name="uq_picture_variants_size_format"),)
