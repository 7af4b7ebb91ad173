"""What an upload is, judged from its bytes: never from its name or the browser's claim.

The rule: a file is accepted only when its first bytes (and, for ZIP-based office
formats, its table of contents) match one of the kinds below; everything else, SVG and
HTML included, is refused with a message naming the kinds allowed. Our own check instead
of a sniffing library because the cases that matter here are the ones such libraries
guess loosely: telling a .pptx, .docx, .odp or .odt from a plain ZIP needs the archive's
entry names, a legacy .ppt from a .doc needs the OLE stream names, and every text format
must fall through to "refused".
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from typing import IO

from flask_babel import lazy_gettext as _l

from app.errors import DomainError


class FileRefused(DomainError):
    """An upload that is not of an allowed kind, or too large for its kind."""


@dataclass(frozen=True)
class Kind:
    name: str  # pdf, pptx, png...
    mime: str
    family: str  # document, image, archive
    extension: str


PDF = Kind("pdf", "application/pdf", "document", "pdf")
PPTX = Kind("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "document", "pptx")
DOCX = Kind("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "document", "docx")
ODP = Kind("odp", "application/vnd.oasis.opendocument.presentation", "document", "odp")
ODT = Kind("odt", "application/vnd.oasis.opendocument.text", "document", "odt")
PPT = Kind("ppt", "application/vnd.ms-powerpoint", "document", "ppt")
DOC = Kind("doc", "application/msword", "document", "doc")
PNG = Kind("png", "image/png", "image", "png")
JPEG = Kind("jpeg", "image/jpeg", "image", "jpg")
GIF = Kind("gif", "image/gif", "image", "gif")
WEBP = Kind("webp", "image/webp", "image", "webp")
ZIP = Kind("zip", "application/zip", "archive", "zip")

KINDS = (PDF, PPTX, DOCX, ODP, ODT, PPT, DOC, PNG, JPEG, GIF, WEBP, ZIP)
BY_NAME = {k.name: k for k in KINDS}
FAMILIES = ("document", "image", "archive")

ALLOWED_TEXT = _l("PDF, PowerPoint or Impress, Word or Writer, PNG, JPEG, GIF or WebP "
                  "pictures, ZIP archives")
PICTURE_TEXT = _l("PNG, JPEG, GIF or WebP pictures")

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODF = {"application/vnd.oasis.opendocument.presentation": ODP,
        "application/vnd.oasis.opendocument.text": ODT}


def sniff(stream: IO[bytes]) -> Kind | None:
    """The kind of the file in `stream` (rewound afterwards), or None when not allowed."""
    stream.seek(0)
    head = stream.read(4096)
    stream.seek(0)
    try:
        if head.startswith(b"%PDF-"):
            return PDF
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return PNG
        if head.startswith(b"\xff\xd8\xff"):
            return JPEG
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return GIF
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return WEBP
        if head.startswith(_OLE):
            return _legacy_office(stream)
        if head.startswith(b"PK\x03\x04"):
            return _zip_kind(stream)
        return None
    finally:
        stream.seek(0)


def _legacy_office(stream: IO[bytes]) -> Kind | None:
    """A 97-2003 Office file: PowerPoint or Word by the stream names in its directory."""
    data = stream.read(4 * 1024 * 1024)
    if "PowerPoint Document".encode("utf-16-le") in data:
        return PPT
    if "WordDocument".encode("utf-16-le") in data:
        return DOC
    return None


def _zip_kind(stream: IO[bytes]) -> Kind | None:
    try:
        with zipfile.ZipFile(stream) as archive:  # reads the table of contents only
            names = set(archive.namelist())
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in _ODF:
                    return _ODF[declared]
            if "[Content_Types].xml" in names:
                if "ppt/presentation.xml" in names:
                    return PPTX
                if "word/document.xml" in names:
                    return DOCX
            return ZIP
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def size_limit(family: str, limits: dict[str, int | float]) -> int:
    """Bytes allowed for a `family` of files, from UPLOAD_MAX_MB."""
    return int(float(limits.get(family, 0)) * 1024 * 1024)


def check_upload(stream: IO[bytes], size: int, limits: dict[str, int | float], *,
                 families: tuple[str, ...] = FAMILIES, field: str = "file") -> Kind:
    """The upload's kind; FileRefused when it is not allowed here or too large for it."""
    kind = sniff(stream)
    if kind is None or kind.family not in families:
        allowed = PICTURE_TEXT if families == ("image",) else ALLOWED_TEXT
        raise FileRefused(_l("This kind of file is not accepted. Allowed: %(kinds)s.",
                             kinds=allowed), field)
    limit = size_limit(kind.family, limits)
    if size > limit:
        megabytes, most = "%.1f" % (size / 1048576), "%g" % (limit / 1048576)
        raise FileRefused(_l("The file is %(size)s MB; at most %(limit)s MB are accepted for "
                             "this kind of file.", size=megabytes, limit=most), field)
    if size == 0:
        raise FileRefused(_l("The file is empty."), field)
    return kind
