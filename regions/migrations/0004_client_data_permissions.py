"""Two region permissions for client-data requests (erase, export), given at once to everyone who
is a coordinator of a region now: new memberships get them through ROLE_REGION_PERMISSIONS."""

from django.db import migrations

NEW = {
    "erase_client": "Can erase a client's data on her request",
    "export_client": "Can export a client's data on her request",
}


def grant_to_coordinators(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Membership = apps.get_model("regions", "Membership")
    RegionUserObjectPermission = apps.get_model("regions", "RegionUserObjectPermission")
    region_type, _created = ContentType.objects.get_or_create(app_label="regions", model="region")
    for codename, name in NEW.items():
        permission, _created = Permission.objects.get_or_create(
            content_type=region_type, codename=codename, defaults={"name": name}
        )
        for user_id, region_id in Membership.objects.filter(role="coordinator", ended_at__isnull=True).values_list(
            "user_id", "region_id"
        ):
            RegionUserObjectPermission.objects.get_or_create(
                user_id=user_id, permission=permission, content_object_id=region_id
            )


def withdraw(apps, schema_editor):
    RegionUserObjectPermission = apps.get_model("regions", "RegionUserObjectPermission")
    RegionUserObjectPermission.objects.filter(
        permission__content_type__app_label="regions", permission__codename__in=list(NEW)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0003_history_reason_text"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="region",
            options={
                "ordering": ["country", "area"],
                "permissions": [
                    ("view_region_cases", "Can see the region's cases"),
                    ("intake_region", "Can record help requests in the region"),
                    ("assign_region", "Can assign and reassign the region's cases"),
                    ("manage_region_shifts", "Can manage the region's shifts"),
                    ("manage_region_team", "Can manage the region's team"),
                    ("erase_client", "Can erase a client's data on her request"),
                    ("export_client", "Can export a client's data on her request"),
                ],
                "verbose_name": "region",
                "verbose_name_plural": "regions",
            },
        ),
        migrations.RunPython(grant_to_coordinators, withdraw),
    ]
