"""Case.search_nickname holds her nickname in capitals (PostgreSQL's upper()), and its trigram index is
on the column itself: the search compares it with the term put in capitals by the same upper(), and no
longer runs upper() on every row it reads. The triggers write capitals before the copies are rewritten;
going back, the old triggers are back before the copies are rewritten as they were."""

import django.contrib.postgres.indexes
import pgtrigger.compiler
import pgtrigger.migrations
import srp.triggers
from django.conf import settings
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_case_search_nickname'),
        ('regions', '0005_access_log_and_consent_override_permissions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # Going back only: the old triggers (back by then) write her nickname as it is.
        migrations.RunSQL(
            migrations.RunSQL.noop,
            "UPDATE cases_case SET search_nickname = '' WHERE search_nickname <> ''",
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='case',
            name='copy_client_nickname',
        ),
        pgtrigger.migrations.RemoveTrigger(
            model_name='client',
            name='cases_follow_nickname',
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='case',
            trigger=pgtrigger.compiler.Trigger(name='copy_client_nickname', sql=srp.triggers.UnignorableTriggerSql(func='NEW.search_nickname := (SELECT upper(nickname) FROM cases_client WHERE id = NEW.client_id); RETURN NEW;', hash='1e962e88b890f4aaaa778af96268a9f5cc842056', operation='INSERT OR UPDATE OF "client_id", "search_nickname"', pgid='pgtrigger_copy_client_nickname_c4f48', table='cases_case', when='BEFORE')),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='client',
            trigger=pgtrigger.compiler.Trigger(name='cases_follow_nickname', sql=srp.triggers.UnignorableTriggerSql(condition='WHEN (OLD.nickname IS DISTINCT FROM NEW.nickname)', func='UPDATE cases_case SET search_nickname = upper(NEW.nickname) WHERE client_id = NEW.id; RETURN NULL;', hash='7ff426b391769fb8037ab9596588dcf270613f9d', operation='UPDATE OF "nickname"', pgid='pgtrigger_cases_follow_nickname_baca9', table='cases_client', when='AFTER')),
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_nickname_trgm',
        ),
        migrations.RunSQL(
            "UPDATE cases_case SET search_nickname = upper(cases_client.nickname) FROM cases_client "
            "WHERE cases_client.id = cases_case.client_id "
            "AND cases_case.search_nickname IS DISTINCT FROM upper(cases_client.nickname)",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name='case',
            index=django.contrib.postgres.indexes.GinIndex(django.contrib.postgres.indexes.OpClass('search_nickname', name='gin_trgm_ops'), name='case_nickname_trgm'),
        ),
    ]
