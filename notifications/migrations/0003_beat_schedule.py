"""Seed the default beat schedule (notifications/beat.py) into django-celery-beat's tables, so
admins see and change it in Django admin. Existing entries with the same names are left alone."""

from django.db import migrations


def seed(apps, schema_editor):
    from notifications.beat import install_default_schedule

    install_default_schedule(apps)


def unseed(apps, schema_editor):
    from notifications.beat import remove_default_schedule

    remove_default_schedule(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_notification_next_attempt_at"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
