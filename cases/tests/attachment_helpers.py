"""Files for the attachment tests, made with Pillow on the spot: a picture with GPS metadata, a
plain PNG, a PDF, and uploads as the browser sends them."""

import io
import os

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cases.attachments import attachment_add

GPS_IFD = 0x8825


def jpeg_with_gps(*, size=(40, 20), orientation: int | None = None) -> bytes:
    """A JPEG whose EXIF holds a camera model, GPS coordinates (Brussels) and optionally an orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = "CanaryCam 3000"  # Model
    exif[0x010E] = "canary description in exif"  # ImageDescription
    if orientation:
        exif[0x0112] = orientation
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (50.0, 50.0, 46.0)
    gps[3] = "E"
    gps[4] = (4.0, 21.0, 7.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"canary comment")
    return out.getvalue()


def png_bytes(size=(8, 8), *, noise: bool = False) -> bytes:
    """A plain PNG; with `noise`, random pixels that do not compress (a file of a known weight)."""
    out = io.BytesIO()
    if noise:
        image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    else:
        image = Image.new("RGB", size, (10, 120, 10))
    image.save(out, format="PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def attach(case, by, *, name="letter.png", content=None, description=""):
    """An attachment made the real way, through the service."""
    return attachment_add(case=case, by=by, uploaded=upload(name, content or png_bytes()), description=description)
