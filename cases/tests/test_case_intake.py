import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from cases.models import Case, ContactLog
from cases.services import case_intake
from cases.tests.factories import support_type


def intake(world, by=None, **overrides):
    fields = {
        "by": by or world.intake_a,
        "region": world.brussels,
        "channel": Case.Channel.WECHAT,
        "nickname": "小雨",
        "preferred_languages": ["cmn"],
        "support_needs": [support_type("shelter"), support_type("legal")],
        "safe_contact_times": "never after 18:00",
        "code_word": "tea",
        "first_note": "Wrote at midnight; husband took her passport.",
    }
    fields.update(overrides)
    return case_intake(**fields)


def test_intake_creates_the_case_its_client_plan_and_first_note(world):
    case = intake(world)
    assert case.status == Case.Status.NEW
    assert case.reference == f"BE-{timezone.now().year}-{case.number:05d}"
    assert case.client.nickname == "小雨"
    assert case.intake_by == world.intake_a
    assert {s.code for s in case.support_needs.all()} == {"shelter", "legal"}
    assert case.plan.goals.count() == 0
    note = case.contacts.get()
    assert note.summary.startswith("Wrote at midnight")
    assert note.channel == "wechat"


def test_references_count_up_per_country_and_year(world):
    first = intake(world)
    second = intake(world)
    paris = intake(world, by=world.coordinator_b, region=world.paris)
    assert second.number == first.number + 1
    assert paris.reference.startswith(f"FR-{timezone.now().year}-")


def test_the_year_of_the_reference_is_the_year_received(world):
    last_year = timezone.now() - timedelta(days=400)
    case = intake(world, received_at=last_year)
    assert case.reference.startswith(f"BE-{last_year.year}-")


def test_a_caseworker_may_not_record_a_request(world):
    with pytest.raises(PermissionDenied):
        intake(world, by=world.caseworker_a)
    assert not Case.objects.filter(client__nickname="小雨").exists()


def test_an_intake_assistant_may_not_record_in_another_region(world):
    with pytest.raises(PermissionDenied):
        intake(world, region=world.paris)


def test_a_request_from_the_future_is_refused_and_nothing_is_saved(world):
    before = Case.objects.count()
    with pytest.raises(ValidationError) as error:
        intake(world, received_at=timezone.now() + timedelta(days=1))
    assert "future" in str(error.value)
    assert Case.objects.count() == before


def test_an_unknown_channel_is_refused_and_nothing_is_saved(world):
    before = (Case.objects.count(), ContactLog.objects.count())
    with pytest.raises(ValidationError):
        intake(world, channel="carrier-pigeon")
    assert (Case.objects.count(), ContactLog.objects.count()) == before


def test_an_empty_nickname_is_refused(world):
    with pytest.raises(ValidationError) as error:
        intake(world, nickname="   ")
    assert "nickname" in error.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_concurrent_intakes_never_share_a_reference(world):
    """Eight threads, each on its own database connection, take in five requests at once."""
    start = threading.Barrier(8)
    references, errors = [], []

    def worker():
        try:
            start.wait()
            for _ in range(5):
                references.append(intake(world).reference)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert len(references) == 40
    assert len(set(references)) == 40
