from django.db import migrations

SUPPORT_TYPES = [
    # code, English name, stage
    ("comprehensive", "Comprehensive management", "first"),
    ("language", "Language support", "first"),
    ("psychological", "Psychological support", "first"),
    ("shelter", "Shelter", "first"),
    ("community", "Community support", "first"),
    ("legal", "Legal support", "later"),
    ("medical", "Medical support", "later"),
    ("educational", "Educational support", "later"),
    ("channel", "Channel support", "later"),
    ("economic", "Economic support", "later"),
]


def add_support_types(apps, schema_editor):
    SupportType = apps.get_model("cases", "SupportType")
    for order, (code, name, stage) in enumerate(SUPPORT_TYPES, start=1):
        SupportType.objects.update_or_create(code=code, defaults={"name": name, "stage": stage, "order": order})


def remove_support_types(apps, schema_editor):
    apps.get_model("cases", "SupportType").objects.filter(code__in=[c for c, _, _ in SUPPORT_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_initial")]

    operations = [migrations.RunPython(add_support_types, remove_support_types)]
