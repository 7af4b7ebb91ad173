"""What templates need to show files and pictures: addresses, sizes, kinds."""
from __future__ import annotations

import base64

from flask import Flask, url_for
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

from app.files.models import Picture, PictureVariant
from app.files.services import blob_bytes

KIND_LABELS = {
    "pdf": "PDF", "pptx": "PowerPoint", "ppt": "PowerPoint", "odp": "Impress",
    "docx": "Word", "doc": "Word", "odt": "Writer", "png": "PNG", "jpeg": "JPEG",
    "gif": "GIF", "webp": "WebP", "zip": "ZIP",
}


def variant_url(variant: PictureVariant) -> str:
    return url_for("files.picture", sha=variant.blob.sha256, ext=variant.format)


def picture_sources(picture: Picture | None, size: str = "page") -> dict | None:
    """{webp, jpeg, width, height, alt} of one size of a picture, for <picture>; None without one."""
    if picture is None:
        return None
    webp, jpeg = picture.variant(size, "webp"), picture.variant(size, "jpeg")
    if jpeg is None:
        return None
    return {"webp": variant_url(webp) if webp else None, "jpeg": variant_url(jpeg),
            "width": jpeg.width, "height": jpeg.height, "alt": picture.alt}


def picture_data_uri(picture: Picture | None, size: str = "page") -> str:
    """The JPEG of one size as a data: URI, for documents rendered without a server (PDF)."""
    variant = picture.variant(size, "jpeg") if picture else None
    if variant is None:
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(blob_bytes(variant.blob)).decode("ascii")


def file_size(size: int) -> str:
    if size < 1024 * 1024:
        return _l("%(n)s KB", n=format_decimal(max(1, round(size / 1024))))
    return _l("%(n)s MB", n=format_decimal(round(size / 1048576, 1)))


def register(app: Flask) -> None:
    app.add_template_global(picture_sources)
    app.add_template_global(picture_data_uri)
    app.add_template_filter(file_size)
    app.add_template_global(lambda kind: KIND_LABELS.get(kind, kind.upper()), "file_kind_label")
