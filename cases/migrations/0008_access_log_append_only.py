"""The access log becomes append-only in the database (a trigger refusing UPDATE and DELETE), gets
an action for reading it and an index for its keyset pages; an "Auditors" group holds the
permission to read it."""

import pgtrigger.compiler
import pgtrigger.migrations
import srp.triggers
from django.conf import settings
from django.db import migrations, models


AUDITORS = "Auditors"


def create_auditors_group(apps, schema_editor):
    """A group for those who read access logs (`cases.view_accesslog`), for admins to put auditors
    in. It widens nobody's scope: an auditor reads the log of the cases they may see."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    access_log_type, _created = ContentType.objects.get_or_create(app_label="cases", model="accesslog")
    permission, _created = Permission.objects.get_or_create(
        content_type=access_log_type, codename="view_accesslog", defaults={"name": "Can view access log entry"}
    )
    group, _created = Group.objects.get_or_create(name=AUDITORS)
    group.permissions.add(permission)


def remove_auditors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=AUDITORS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_identity_encryption'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='accesslog',
            options={'ordering': ['-at', '-id'], 'verbose_name': 'access log entry', 'verbose_name_plural': 'access log'},
        ),
        migrations.RemoveIndex(
            model_name='accesslog',
            name='accesslog_case_recent',
        ),
        migrations.AlterField(
            model_name='accesslog',
            name='action',
            field=models.CharField(choices=[('view_case', 'Opened a case'), ('reveal_identity', 'Revealed an identity'), ('search', 'Searched'), ('export', 'Exported'), ('download', 'Downloaded an attachment'), ('view_access_log', 'Read who opened the case')], max_length=20, verbose_name='action'),
        ),
        migrations.AddIndex(
            model_name='accesslog',
            index=models.Index(fields=['case', '-at', '-id'], name='accesslog_case_recent'),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name='accesslog',
            trigger=pgtrigger.compiler.Trigger(name='append_only', sql=srp.triggers.UnignorableTriggerSql(func="RAISE EXCEPTION 'The table % is append-only: % refused.', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';", hash='6ab0623d53cb018a6c2c84d1cbb4a131d17cea63', operation='UPDATE OR DELETE', pgid='pgtrigger_append_only_28716', table='cases_accesslog', when='BEFORE')),
        ),
        migrations.RunPython(create_auditors_group, remove_auditors_group),
    ]
