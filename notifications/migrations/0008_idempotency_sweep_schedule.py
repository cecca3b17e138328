"""Add the hourly "forget idempotency keys" beat task (supportdesk/idempotency.py) to existing
schedules. install_default_schedule only adds what is missing."""

from django.db import migrations

NAME = "Forget idempotency keys older than 24 hours"


def seed(apps, schema_editor):
    from notifications.beat import install_default_schedule

    install_default_schedule(apps)


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0007_preferences"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
