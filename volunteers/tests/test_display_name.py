"""A person's name as the pages show it: the volunteer profile's display name, else the username;
the same in Python (User.display_name) and in SQL (User.display_name_of)."""

import pytest

from volunteers.models import User
from volunteers.tests.factories import UserFactory, VolunteerFactory


@pytest.mark.django_db
def test_the_sql_name_is_the_python_name_with_and_without_a_profile():
    with_profile = VolunteerFactory(display_name="Lin", user__username="lin_w").user
    without = UserFactory(username="admin_only")

    named = dict(User.objects.filter(pk__in=[with_profile.pk, without.pk]).values_list("pk", User.display_name_of()))

    assert named == {with_profile.pk: "Lin", without.pk: "admin_only"}
    assert named[with_profile.pk] == User.objects.get(pk=with_profile.pk).display_name
    assert named[without.pk] == User.objects.get(pk=without.pk).display_name
