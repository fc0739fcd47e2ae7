"""case_unassigned_received ends with the id: a network admin's queue (every region's requests nobody
has taken on, oldest first, the id breaking ties) is read in its order instead of sorted."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0016_case_search_nickname_capitals'),
        ('regions', '0005_access_log_and_consent_override_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_unassigned_received',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('person_in_charge__isnull', True), ('status__in', ['new', 'triaged'])), fields=['received_at', 'id'], name='case_unassigned_received'),
        ),
    ]
