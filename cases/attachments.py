"""Files on a case: what an upload is, judged by its content (never by its name or the browser's
word), images re-encoded without any metadata, and the services that add and delete them.

Allowed: JPEG, PNG and WebP images (the magic bytes, then Pillow verifies and decodes the whole
picture) and PDF documents (the `%PDF-` header and an `%%EOF` trailer). Anything else is refused
before a byte is written.
"""

import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image, ImageOps

from cases.models import Attachment, Case
from cases.services import _require_change
from srp.audit import save_with_history

FileType = Attachment.FileType
# Magic bytes → type. WebP is "RIFF", four bytes of size, then "WEBP".
SIGNATURES = [
    (b"\xff\xd8\xff", FileType.JPEG),
    (b"\x89PNG\r\n\x1a\n", FileType.PNG),
    (b"%PDF-", FileType.PDF),
]
# What a name's extension claims; a name claiming one allowed type for content of another is refused.
NAME_EXTENSIONS = {
    "jpg": FileType.JPEG,
    "jpeg": FileType.JPEG,
    "jfif": FileType.JPEG,
    "png": FileType.PNG,
    "webp": FileType.WEBP,
    "pdf": FileType.PDF,
}
PILLOW_FORMATS = {FileType.JPEG: "JPEG", FileType.PNG: "PNG", FileType.WEBP: "WEBP"}
# A picture larger than this is refused (a decompression bomb, or nothing a phone takes).
MAX_PIXELS = 60_000_000


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    name: str


def allowed_types_text() -> str:
    return ", ".join(label for _value, label in FileType.choices)


def sniff(head: bytes) -> str | None:
    """The allowed type these first bytes announce, or None."""
    for signature, file_type in SIGNATURES:
        if head.startswith(signature):
            return file_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FileType.WEBP
    return None


def safe_name(original: str, extension: str) -> str:
    """A file name to show and offer on download: the uploaded name without any folder, control or
    punctuation characters, at most 100 characters, ending in the extension of what the file IS."""
    base = re.split(r"[\\/]", original or "")[-1]
    base = unicodedata.normalize("NFKC", base)
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if unicodedata.category(ch)[0] != "C")
    stem = re.sub(r"[^\w\-() ]+", "_", stem)
    stem = re.sub(r"\s+", " ", stem).strip(" ._-")[:100]
    return f"{stem or 'attachment'}.{extension}"


def _refuse(message: str):
    raise ValidationError({"file": message})


def _clean_image(content: bytes, file_type: str) -> bytes:
    """Decode the picture fully (refusing anything Pillow cannot read as the announced format),
    turn it upright by its EXIF orientation, and save a fresh copy: no EXIF, GPS, ICC, XMP or
    comments survive."""
    expected = PILLOW_FORMATS[file_type]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as probe:
                if probe.format != expected:
                    _refuse(_("The file is not the picture it claims to be."))
                if probe.width * probe.height > MAX_PIXELS:
                    _refuse(_("The picture is too large (more than 60 megapixels)."))
                probe.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except Exception:  # Pillow raises many kinds for a broken or hostile file: all mean "not a picture"
        _refuse(_("The file could not be read as a picture; it may be damaged or not a picture at all."))
    if file_type == FileType.JPEG and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    clean = upright.copy()
    clean.info = {}  # PNG and WebP would otherwise carry the ICC profile, text chunks and XMP along
    out = io.BytesIO()
    options = {"quality": 90} if file_type in (FileType.JPEG, FileType.WEBP) else {"optimize": True}
    clean.save(out, format=expected, **options)
    return out.getvalue()


def _check_pdf(content: bytes) -> bytes:
    if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-2048:]:
        _refuse(_("The file is not a complete PDF document."))
    return content


def check_upload(uploaded) -> CheckedFile:
    """The upload as it will be stored, or a ValidationError on `file` saying what is wrong."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if uploaded.size is None or uploaded.size > limit:
        _refuse(_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)})
    if uploaded.size == 0:
        _refuse(_("The file is empty."))
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if len(content) > limit:
        _refuse(_("The file is larger than %(limit)s.") % {"limit": filesizeformat(limit)})
    file_type = sniff(content[:16])
    if file_type is None:
        _refuse(
            _("Only these kinds of file can be attached: %(types)s. This file is none of them, whatever its name.")
            % {"types": allowed_types_text()}
        )
    claimed = NAME_EXTENSIONS.get(uploaded.name.rsplit(".", 1)[-1].lower()) if "." in (uploaded.name or "") else None
    if claimed is not None and claimed != file_type:
        _refuse(
            _("The file's name says %(claimed)s but it is %(actual)s. Refused: a file must be what its name says.")
            % {"claimed": FileType(claimed).label, "actual": FileType(file_type).label}
        )
    content = _check_pdf(content) if file_type == FileType.PDF else _clean_image(content, file_type)
    extension = Attachment(content_type=file_type).extension
    return CheckedFile(content=content, content_type=file_type, name=safe_name(uploaded.name, extension))


@transaction.atomic
def attachment_add(*, case: Case, by, uploaded, description: str = "") -> Attachment:
    """Check `uploaded`, store what survives the check under a random name and record it. Either
    both the row and the file exist afterwards, or neither."""
    _require_change(by, case)
    checked = check_upload(uploaded)
    attachment = Attachment(
        case=case,
        uploaded_by=by,
        original_name=checked.name,
        content_type=checked.content_type,
        size=len(checked.content),
        sha256=hashlib.sha256(checked.content).hexdigest(),
        description=description.strip(),
    )
    # The file is written inside the transaction and removed again if the row cannot be saved. The
    # views call this outside any other transaction, so a return here means both are committed.
    attachment.file.save("upload", ContentFile(checked.content), save=False)
    try:
        save_with_history(attachment, by=by, reason=gettext_noop("File attached"))
    except BaseException:
        attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, attachment: Attachment, by, reason: str) -> None:
    """Remove a file from a case, saying why; the file itself goes once the removal is committed."""
    attachment = Attachment.objects.select_for_update(of=("self",)).select_related("case__region").get(pk=attachment.pk)
    _require_change(by, attachment.case)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why this file is removed.")})
    storage, name = attachment.file.storage, attachment.file.name
    attachment._history_user = by
    attachment._change_reason = reason.strip()
    attachment.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
