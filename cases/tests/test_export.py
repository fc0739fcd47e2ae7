"""Subject access: a coordinator of the region downloads everything held about one client, after
signing in again; nothing of anyone else is in it, the download is logged and never cached."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from cases.models import AccessLog, ClientIdentity
from cases.services import contact_log_add, goal_add, incident_record
from cases.tests.attachment_helpers import attach, jpeg_with_gps
from cases.tests.factories import CaseFactory, ClientFactory, support_type
from srp.audit import save_with_history
from volunteers.tests.signin_helpers import reauthenticate


@pytest.fixture(autouse=True)
def attachment_root(settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path / "attachments"
    return settings.ATTACHMENT_ROOT


@pytest.fixture
def her(world):
    coordinator = world.coordinator_a
    client = world.case_a.client
    client.nickname = "Meihua export"
    save_with_history(client, by=coordinator, reason="test")
    save_with_history(
        ClientIdentity(client=client, legal_name="Li Meihua", phone="+32 470 55 44 33"), by=coordinator, reason="test"
    )
    contact_log_add(case=world.case_a, by=coordinator, channel="phone", summary="She is at the shelter now.")
    incident_record(case=world.case_a, by=coordinator, kind="physical", description="Bruises on the left arm.")
    goal_add(case=world.case_a, by=coordinator, term="short", support_type=support_type(), description="Find a lawyer")
    photo = attach(world.case_a, coordinator, name="arm.jpg", content=jpeg_with_gps(), description="left arm")
    second = CaseFactory(region=world.brussels, client=client)
    # Someone else in the same region, and someone in another region.
    other = CaseFactory(region=world.brussels, client=ClientFactory(nickname="Other woman"))
    contact_log_add(case=other, by=coordinator, channel="phone", summary="Nothing of hers.")
    attach(other, coordinator, name="other.png", description="not hers")
    world.case_b.client.nickname = "Paris woman"
    world.case_b.client.save()
    return {"client": client, "photo": photo, "second": second}


def export(client, case):
    """POST the export, sign in again as allauth asks, and get the resumed answer."""
    url = reverse("case_client_export", args=[case.pk])
    first = client.post(url)
    assert first.status_code == 302
    assert first["Location"].startswith(reverse("account_reauthenticate"))
    return reauthenticate(client, url)


def test_the_export_holds_her_data_and_files_and_nothing_of_anyone_else(client, world, her):
    client.force_login(world.coordinator_a)
    response = export(client, world.case_a)

    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("data.json"))
    assert data["client"]["nickname"] == "Meihua export"
    assert data["identity"]["legal_name"] == "Li Meihua"
    assert data["identity"]["phone"] == "+32 470 55 44 33"
    assert {case["reference"] for case in data["cases"]} == {world.case_a.reference, her["second"].reference}
    case_a = next(case for case in data["cases"] if case["reference"] == world.case_a.reference)
    assert [contact["summary"] for contact in case_a["contacts"]] == ["She is at the shelter now."]
    assert [incident["description"] for incident in case_a["incidents"]] == ["Bruises on the left arm."]
    assert case_a["plan"] is not None
    assert [goal["description"] for goal in case_a["goals"]] == ["Find a lawyer"]
    [photo] = case_a["attachments"]
    assert (photo["original_name"], photo["description"]) == ("arm.jpg", "left arm")
    assert archive.read(photo["file_in_export"]) == her["photo"].file.open("rb").read()
    assert sorted(archive.namelist()) == ["data.json", photo["file_in_export"]]
    everything = archive.read("data.json").decode()
    for foreign in ("Other woman", "Nothing of hers", "not hers", "Paris woman", world.case_b.reference):
        assert foreign not in everything
    log = AccessLog.objects.get(action=AccessLog.Action.EXPORT)
    assert (log.user, log.case) == (world.coordinator_a, world.case_a)
    assert "Meihua" not in log.detail and "Li" not in log.detail


def test_nothing_is_exported_before_signing_in_again(client, world, her):
    client.force_login(world.coordinator_a)
    response = client.post(reverse("case_client_export", args=[world.case_a.pk]))
    assert response.status_code == 302
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_a_wrong_password_exports_nothing(client, world, her):
    client.force_login(world.coordinator_a)
    url = reverse("case_client_export", args=[world.case_a.pk])
    client.post(url)
    response = reauthenticate(client, url, password="wrong")
    assert response.status_code == 200  # the form again, with its error
    assert response["Content-Type"].startswith("text/html")
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("caseworker_a", 403),
        ("intake_a", 403),
        ("case_interpreter", 403),
        ("caseworker_b", 404),
        ("coordinator_b", 404),
    ],
)
def test_the_export_is_refused_to_caseworkers_and_out_of_scope(client, world, her, who, status):
    client.force_login(getattr(world, who))
    assert client.post(reverse("case_client_export", args=[world.case_a.pk])).status_code == status
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_a_client_with_a_case_in_another_region_is_exported_only_by_a_coordinator_of_both(client, world, her):
    CaseFactory(region=world.paris, client=her["client"])
    client.force_login(world.coordinator_a)
    assert export(client, world.case_a).status_code == 403
    assert not AccessLog.objects.filter(action=AccessLog.Action.EXPORT).exists()


def test_the_export_is_post_only(client, world, her):
    client.force_login(world.coordinator_a)
    assert client.get(reverse("case_client_export", args=[world.case_a.pk])).status_code == 405
