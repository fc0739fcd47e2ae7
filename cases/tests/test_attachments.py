"""Files on a case: judged by content, stripped of metadata, kept outside the web root under random
names, downloaded only through the scoped, logged view, removed with a reason."""

import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from PIL import Image

from cases.attachments import safe_name
from cases.models import AccessLog, Attachment
from cases.tests.attachment_helpers import attach, jpeg_with_gps, pdf_bytes, png_bytes, upload


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    return settings.ATTACHMENT_ROOT


def stored_files(root: Path) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()] if Path(root).exists() else []


def post_file(client, case, name, content, description="", **extra):
    url = reverse("case_attachment_add", args=[case.pk])
    data = {"attachment-file": upload(name, content), "attachment-description": description}
    return client.post(url, data, **extra)


def test_exif_and_gps_are_gone_after_upload_and_the_picture_is_upright(client, world, attachment_root):
    client.force_login(world.coordinator_a)
    original = jpeg_with_gps(size=(40, 20), orientation=6)  # 6: turn 90° clockwise to view
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the test file does carry GPS

    response = post_file(client, world.case_a, "injury.jpg", original, description="left arm", HTTP_HX_REQUEST="true")

    assert response.status_code == 200, response.content.decode()[:2000]
    attachment = Attachment.objects.get(case=world.case_a)
    [path] = stored_files(attachment_root)
    stored = path.read_bytes()
    with Image.open(path) as image:
        assert image.format == "JPEG"
        assert image.size == (20, 40)  # the EXIF orientation applied before the metadata went
        assert not image.getexif()
        assert not image.getexif().get_ifd(0x8825)
        assert "exif" not in image.info and "icc_profile" not in image.info and "comment" not in image.info
    for trace in (b"CanaryCam", b"canary comment", b"canary description", b"Exif\x00\x00"):
        assert trace not in stored
    assert attachment.content_type == "image/jpeg"
    assert attachment.size == len(stored)
    assert attachment.sha256 == hashlib.sha256(stored).hexdigest()
    assert attachment.original_name == "injury.jpg"
    assert attachment.uploaded_by == world.coordinator_a
    assert "injury" not in attachment.file.name  # a random name on disk, never hers
    assert path.resolve().is_relative_to(Path(attachment_root).resolve())


def test_png_metadata_chunks_are_dropped(world, attachment_root):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "canary text chunk")
    out = io.BytesIO()
    Image.new("RGB", (5, 5)).save(out, format="PNG", pnginfo=info)
    attach(world.case_a, world.coordinator_a, name="scan.png", content=out.getvalue())
    [path] = stored_files(attachment_root)
    assert b"canary text chunk" not in path.read_bytes()


def test_webp_exif_is_dropped(world, attachment_root):
    exif = Image.Exif()
    exif[0x0110] = "CanaryCam 3000"
    out = io.BytesIO()
    Image.new("RGB", (6, 6), (1, 2, 3)).save(out, format="WEBP", exif=exif)
    assert b"CanaryCam" in out.getvalue()
    attachment = attach(world.case_a, world.coordinator_a, name="photo.webp", content=out.getvalue())
    [path] = stored_files(attachment_root)
    assert attachment.content_type == "image/webp"
    assert b"CanaryCam" not in path.read_bytes()
    with Image.open(path) as image:
        assert image.format == "WEBP" and not image.getexif()


def test_a_pdf_is_kept_as_it_is(world, attachment_root):
    attachment = attach(world.case_a, world.coordinator_a, name="court letter.pdf", content=pdf_bytes())
    assert attachment.content_type == "application/pdf"
    assert stored_files(attachment_root)[0].read_bytes() == pdf_bytes()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("photo.jpg", b"<html><script>alert(1)</script></html>", "Only these kinds of file"),
        ("photo.jpg", b"<?php system($_GET['c']); ?>", "Only these kinds of file"),
        ("evidence.png", pdf_bytes(), "name says PNG but it is PDF"),
        ("photo.jpg", b"\xff\xd8\xff\xe0<html>not really a jpeg</html>", "could not be read as a picture"),
        ("image.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "could not be read as a picture"),
        ("letter.pdf", b"%PDF-1.4\n<script>no end of file marker", "not a complete PDF"),
        ("photo.jpg", b"", "The submitted file is empty"),
    ],
)
def test_a_file_that_lies_about_its_type_is_refused_and_nothing_is_written(
    client, world, attachment_root, name, content, message
):
    client.force_login(world.coordinator_a)
    response = post_file(client, world.case_a, name, content, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Attachment.objects.exists()
    assert not Attachment.history.exists()
    assert stored_files(attachment_root) == []


def test_too_big_is_refused_and_nothing_is_written(client, world, attachment_root, settings):
    settings.ATTACHMENT_MAX_BYTES = 2000
    client.force_login(world.coordinator_a)
    big = png_bytes(size=(40, 40), noise=True)
    assert len(big) > 2000
    response = post_file(client, world.case_a, "big.png", big, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "larger than" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files(attachment_root) == []


def test_a_body_far_over_the_limit_is_refused_by_its_length(client, world, attachment_root, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    client.force_login(world.coordinator_a)
    response = post_file(client, world.case_a, "big.png", b"\x89PNG" + b"\x00" * 200_000, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "larger than" in response.content.decode()
    assert not Attachment.objects.exists()


def test_the_download_is_scoped_logged_and_never_inline(client, world):
    attachment = attach(world.case_a, world.coordinator_a, name="scan.png")
    url = reverse("case_attachment_download", args=[world.case_a.pk, attachment.pk])
    client.force_login(world.caseworker_a)

    response = client.get(url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == attachment.file.open("rb").read()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="scan.png"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get(action=AccessLog.Action.DOWNLOAD)
    assert (log.user, log.case, log.detail) == (world.caseworker_a, world.case_a, f"attachment {attachment.pk}")


@pytest.mark.parametrize("who", ["caseworker_b", "coordinator_b", "interpreter_a", "case_interpreter"])
def test_out_of_scope_download_is_404_and_not_logged(client, world, who):
    attachment = attach(world.case_a, world.coordinator_a)
    client.force_login(getattr(world, who))
    response = client.get(reverse("case_attachment_download", args=[world.case_a.pk, attachment.pk]))
    assert response.status_code == 404
    assert not AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).exists()


def test_an_attachment_of_another_case_is_404_through_a_case_one_may_see(client, world):
    elsewhere = attach(world.case_b, world.coordinator_b)
    client.force_login(world.coordinator_a)
    response = client.get(reverse("case_attachment_download", args=[world.case_a.pk, elsewhere.pk]))
    assert response.status_code == 404


def test_removing_a_file_needs_a_reason_and_deletes_it(
    client, world, attachment_root, django_capture_on_commit_callbacks
):
    attachment = attach(world.case_a, world.coordinator_a)
    url = reverse("case_attachment_delete", args=[world.case_a.pk, attachment.pk])
    client.force_login(world.coordinator_a)

    refused = client.post(url, {f"delete-{attachment.pk}-reason": " "}, HTTP_HX_REQUEST="true")
    assert refused.status_code == 422
    assert len(stored_files(attachment_root)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {f"delete-{attachment.pk}-reason": "uploaded to the wrong case"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    assert not Attachment.objects.exists()
    assert stored_files(attachment_root) == []
    deleted = Attachment.history.filter(history_type="-").get()
    assert (deleted.history_user, deleted.history_change_reason) == (world.coordinator_a, "uploaded to the wrong case")


def test_a_caseworker_who_may_not_change_the_case_cannot_attach(client, world, attachment_root):
    client.force_login(world.caseworker_a)
    response = post_file(client, world.case_a, "scan.png", png_bytes())
    assert response.status_code == 403
    assert stored_files(attachment_root) == []


def test_the_files_tab_lists_the_files_in_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for number in range(3):
        attach(world.case_a, world.coordinator_a, name=f"scan {number}.png", description=f"page {number}")
    client.force_login(world.coordinator_a)
    url = reverse("case_tab", args=[world.case_a.pk, "files"])
    with django_assert_max_num_queries(14):
        response = client.get(url, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("download>scan ") == 3
    assert "page 2" in page


def test_names_are_cleaned_and_follow_the_content():
    assert safe_name("../../etc/passwd.png", "png") == "passwd.png"
    assert safe_name("C:\\Users\\her\\photo.JPG", "jpg") == "photo.jpg"
    assert safe_name("<script>x</script>.jpeg", "jpg") == "script.jpg"  # "/" ends a folder name
    assert safe_name("<img src=x onerror=alert(1)>.jpeg", "jpg") == "img src_x onerror_alert(1).jpg"
    assert safe_name("受伤照片.png", "png") == "受伤照片.png"
    assert safe_name("\x00\x1b.png", "png") == "attachment.png"
    assert safe_name("a" * 300 + ".pdf", "pdf") == "a" * 100 + ".pdf"


def test_attachments_live_outside_the_web_root_and_have_no_url():
    from srp.settings import base

    root = Path(base.ATTACHMENT_ROOT).resolve()
    assert root == (base.VAR_DIR / "attachments").resolve()
    web = [Path(django_settings.STATIC_ROOT).resolve(), *(Path(p).resolve() for p in django_settings.STATICFILES_DIRS)]
    assert not any(root.is_relative_to(folder) for folder in web)
    storage = Attachment._meta.get_field("file").storage
    with pytest.raises(ValueError):
        storage.url("ab/abcdef")
