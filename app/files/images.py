"""Pictures re-encoded before anyone sees them: nothing of the uploaded file survives.

The rule: the picture's size is read from its header and refused above PICTURE_MAX_PIXELS
before a single pixel is decoded (a 20,000×20,000 "decompression bomb" is a few KB on the
wire and gigabytes in memory); what is accepted is decoded, turned upright, flattened to
RGB and written anew as WebP and JPEG in two sizes. The new files carry no EXIF, GPS,
XMP, ICC comment or any chunk of the original: Pillow writes only the pixels it is given.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import IO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from app.files.validation import FileRefused

# name -> the largest width; a picture is never enlarged.
SIZES = {"card": 640, "page": 1600}
FORMATS = {"webp": ("WEBP", "image/webp"), "jpeg": ("JPEG", "image/jpeg")}


@dataclass(frozen=True)
class Encoded:
    size: str
    format: str
    content_type: str
    width: int
    height: int
    data: bytes


def reencode(stream: IO[bytes], max_pixels: int, field: str = "picture") -> list[Encoded]:
    """Every size in every format; FileRefused for a bomb or a file Pillow cannot read."""
    stream.seek(0)
    with warnings.catch_warnings():
        # Pillow warns between MAX_IMAGE_PIXELS and twice that; treat the warning as the bomb.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(stream) as original:
                width, height = original.size
                if width * height > max_pixels:
                    megapixels = "%g" % (max_pixels / 1e6)
                    raise FileRefused(_l(
                        "The picture is %(w)s×%(h)s pixels; at most %(mp)s megapixels are "
                        "accepted.", w=width, h=height, mp=megapixels), field)
                original.seek(0)  # the first frame of an animation
                upright = ImageOps.exif_transpose(original)
                pixels = upright.convert("RGB")
        except FileRefused:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise FileRefused(_l("The picture is too large to be read safely."), field) from None
        except (OSError, ValueError, SyntaxError):
            raise FileRefused(_l("The picture could not be read."), field) from None
    out = []
    for name, max_width in SIZES.items():
        resized = pixels
        if pixels.width > max_width:
            ratio = max_width / pixels.width
            resized = pixels.resize((max_width, max(1, round(pixels.height * ratio))),
                                    Image.Resampling.LANCZOS)
        for fmt, (pil_format, mime) in FORMATS.items():
            buffer = io.BytesIO()
            # A fresh image from the pixels alone: no info dict, no EXIF, no ICC profile.
            clean = Image.frombytes("RGB", resized.size, resized.tobytes())
            clean.save(buffer, pil_format, quality=82, optimize=fmt == "jpeg")
            out.append(Encoded(name, fmt, mime, resized.width, resized.height, buffer.getvalue()))
    return out
