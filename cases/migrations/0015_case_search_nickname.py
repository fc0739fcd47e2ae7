"""Each case keeps a copy of her nickname (Case.search_nickname), kept by triggers on both tables, with a
trigram index, for the case list's search by part of a nickname within the user's regions. The copy is
filled for the cases there are before its indexes are built; a region's newest cases carry it in their
index (case_region_newest, which replaces case_region_received) for an index-only search of a region."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
import pgtrigger.compiler
import pgtrigger.migrations
import srp.triggers
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0014_case_list_unassigned_index'),
        ('regions', '0005_access_log_and_consent_override_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='search_nickname',
            field=models.CharField(default='', editable=False, max_length=60, verbose_name='nickname (for search)'),
        ),
        migrations.RunSQL(
            "UPDATE cases_case SET search_nickname = cases_client.nickname FROM cases_client "
            "WHERE cases_client.id = cases_case.client_id",
            migrations.RunSQL.noop,
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_region_received',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['region', '-received_at', '-id'], include=('search_nickname',), name='case_region_newest'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper('search_nickname'), name='gin_trgm_ops'), name='case_nickname_trgm'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='case',
            trigger=pgtrigger.compiler.Trigger(name='copy_client_nickname', sql=srp.triggers.UnignorableTriggerSql(func='NEW.search_nickname := (SELECT nickname FROM cases_client WHERE id = NEW.client_id); RETURN NEW;', hash='4c3ab4f58dcb05a41bd769f4906e9d0bdc52e6a2', operation='INSERT OR UPDATE OF "client_id", "search_nickname"', pgid='pgtrigger_copy_client_nickname_c4f48', table='cases_case', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='client',
            trigger=pgtrigger.compiler.Trigger(name='cases_follow_nickname', sql=srp.triggers.UnignorableTriggerSql(condition='WHEN (OLD.nickname IS DISTINCT FROM NEW.nickname)', func='UPDATE cases_case SET search_nickname = NEW.nickname WHERE client_id = NEW.id; RETURN NULL;', hash='1cc8d60d986a41f8e6e8f7b8bd06057924d0cc32', operation='UPDATE OF "nickname"', pgid='pgtrigger_cases_follow_nickname_baca9', table='cases_client', when='AFTER')),
        ),
    ]
