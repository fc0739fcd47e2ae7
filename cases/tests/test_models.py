"""Model invariants the database enforces, and what a row may print."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import AccessLog, Case, ClientIdentity, SupportType
from cases.tests import factories as f
from partners.tests.factories import PartnerFactory, ReferralFactory
from regions.tests.factories import MembershipFactory, RegionFactory
from volunteers.tests.factories import (
    ShiftFactory,
    ShiftPatternFactory,
    UserFactory,
    VolunteerFactory,
    VolunteerLanguageFactory,
)

ALL_FACTORIES = [
    UserFactory,
    VolunteerFactory,
    VolunteerLanguageFactory,
    ShiftPatternFactory,
    ShiftFactory,
    RegionFactory,
    MembershipFactory,
    f.ClientFactory,
    f.ClientIdentityFactory,
    f.CaseFactory,
    f.CaseMemberFactory,
    f.AssistancePlanFactory,
    f.GoalFactory,
    f.ContactLogFactory,
    f.IncidentFactory,
    f.RiskAssessmentFactory,
    f.ConsentFactory,
    f.AccessLogFactory,
    f.HandOverFactory,
    f.NotificationFactory,
    PartnerFactory,
    ReferralFactory,
]


@pytest.mark.parametrize("factory", ALL_FACTORIES, ids=lambda f: f.__name__)
def test_every_factory_makes_a_valid_row(db, factory):
    obj = factory()
    obj.full_clean()


def test_the_ten_support_types_are_seeded(db):
    assert SupportType.objects.count() == 10
    assert list(SupportType.objects.filter(stage="first").values_list("code", flat=True)) == [
        "comprehensive",
        "language",
        "psychological",
        "shelter",
        "community",
    ]


def test_nothing_identifying_is_printed(db):
    identity = f.ClientIdentityFactory(legal_name="Zhang Secretname", phone="+32 499 12 34 56")
    case = f.CaseFactory(client=identity.client)
    printed = " ".join(
        str(obj)
        for obj in (identity, identity.client, case, f.ContactLogFactory(case=case), f.IncidentFactory(case=case))
    )
    for secret in ("Secretname", "499", identity.client.nickname):
        assert secret not in printed


def test_identity_history_records_the_change_but_not_the_content(db, superuser):
    identity = f.ClientIdentityFactory.build(client=f.ClientFactory(), legal_name="Zhang Secretname")
    identity._history_user = superuser
    identity.save()
    record = ClientIdentity.history.get()
    assert record.history_user == superuser
    assert not hasattr(record, "legal_name")
    history_table = ClientIdentity.history.model._meta.db_table
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{history_table}"')  # noqa: S608 - table name from the model
        assert "Secretname" not in repr(cursor.fetchall())


def test_a_case_reference_is_unique_per_country_and_year(db):
    case = f.CaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=f.CaseFactory().pk).update(number=case.number)


def test_a_closed_case_must_have_a_reason_and_a_date(db):
    case = f.CaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status="closed")


def test_a_case_cannot_close_before_it_was_received(db):
    case = f.CaseFactory(status="closed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(closed_at=case.received_at - dt.timedelta(days=1))


def test_an_assigned_case_must_have_a_person_in_charge(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        f.CaseFactory(status="assigned")


def test_the_access_log_is_append_only(db):
    entry = f.AccessLogFactory()
    entry.detail = "changed"
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    assert AccessLog.objects.get().detail == ""


def test_overdue_means_open_with_a_follow_up_in_the_past(db):
    past = timezone.now() - dt.timedelta(hours=1)
    assert f.CaseFactory(next_follow_up_due=past).is_overdue
    assert not f.CaseFactory(next_follow_up_due=past, status="closed").is_overdue
    assert not f.CaseFactory(next_follow_up_due=None).is_overdue
